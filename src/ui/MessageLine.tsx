/**
 * The last line: an open prompt (with its cursor), a yes/no question, the
 * keys typed so far of a longer binding, or the latest notice. Notices can
 * quote server text, so they are sanitised.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Notice } from '../core/store/state.js';
import { cellWidth, padToWidth, sanitizeLine, truncateToWidth } from '../core/text/index.js';
import { displayKeys, type KeyToken } from '../keymap/index.js';
import type { PromptState } from './prompt-state.js';
import { useStyles } from './theme.js';

export interface MessageLineProps {
  width: number;
  prompt: PromptState | null;
  question: string | null;
  pendingKeys: readonly KeyToken[];
  /** The notice to show (message-log's shownNotice), and its text wrapped to the width. */
  notice: Notice | null;
  noticeLines: readonly string[] | null;
  /** Shown when there is nothing else to say. */
  hint: string;
}

function PromptLine({ prompt, width }: { prompt: PromptState; width: number }) {
  const styles = useStyles();
  const label = sanitizeLine(prompt.label);
  const shown = prompt.secret ? prompt.chars.map(() => '*') : prompt.chars.map(sanitizeLine);
  const counted =
    prompt.choices === null
      ? ''
      : prompt.choices.length === 0
        ? '  (no match)'
        : prompt.choices.length > 1
          ? `  (${prompt.choice + 1}/${prompt.choices.length})`
          : '';
  const suffix = counted;
  // After everything else: the line is cut at the screen's edge, never the answer.
  const note = prompt.note ? `  (${sanitizeLine(prompt.note)})` : '';
  // Keep the cursor in view: drop characters from the left of a long answer.
  const room = Math.max(4, width - cellWidth(label) - cellWidth(suffix) - 1);
  let start = 0;
  while (start < prompt.cursor && cellWidth(shown.slice(start, prompt.cursor).join('')) > room - 1)
    start++;
  const before = shown.slice(start, prompt.cursor).join('');
  const under = shown[prompt.cursor] ?? ' ';
  const after = truncateToWidth(
    shown.slice(prompt.cursor + 1).join(''),
    Math.max(0, room - cellWidth(before) - cellWidth(under)),
  );
  return (
    <Text wrap="truncate">
      <Text {...styles.prompt}>{label}</Text>
      {before}
      <Text inverse>{under}</Text>
      {after}
      <Text {...styles.dim}>{suffix}</Text>
      <Text {...styles.dim}>{note}</Text>
    </Text>
  );
}

export const MessageLine = memo(function MessageLine(props: MessageLineProps) {
  const styles = useStyles();
  const { width } = props;
  const notice = props.notice;
  let rows = 1;
  let content;
  if (props.prompt) {
    content = <PromptLine prompt={props.prompt} width={width} />;
  } else if (props.question !== null) {
    content = (
      <Text wrap="truncate" {...styles.prompt}>
        {truncateToWidth(sanitizeLine(props.question), width - 1)}{' '}
      </Text>
    );
  } else if (props.pendingKeys.length) {
    content = (
      <Text {...styles.dim}>{truncateToWidth(`${displayKeys(props.pendingKeys)}-`, width)}</Text>
    );
  } else {
    const lines = notice ? (props.noticeLines ?? [sanitizeLine(notice.text)]) : [];
    rows = Math.max(1, lines.length);
    content = notice ? (
      <Box flexDirection="column">
        {lines.map((line, i) => (
          <Text key={i} wrap="truncate" {...(notice.kind === 'error' ? styles.error : styles.info)}>
            {truncateToWidth(line, width)}
          </Text>
        ))}
      </Box>
    ) : (
      <Text {...styles.dim}>
        {padToWidth(truncateToWidth(props.hint, width), width, { align: 'right' })}
      </Text>
    );
  }
  return (
    <Box width={width} height={rows}>
      {content}
    </Box>
  );
});
