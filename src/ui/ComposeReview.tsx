/**
 * The review screen of a message being written: who it is from and to, the
 * subject, the attachments, anything that stops it from being sent, and the
 * text as it will go, with the keys to act on it. Everything shown is
 * sanitised: the text was partly quoted from a stranger's message.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Draft } from '../core/compose/index.js';
import {
  cellWidth,
  formatAddressList,
  formatSize,
  padToWidth,
  sanitizeLine,
  sanitizeText,
  truncateToWidth,
  wrapText,
} from '../core/text/index.js';
import { displayKeys, keysFor, parseKeySpec, type Keymap } from '../keymap/index.js';
import { useStyles } from './theme.js';

export interface ComposeReviewProps {
  draft: Draft;
  problems: string[];
  keymap: Keymap;
  width: number;
  height: number;
}

const TITLES: Record<string, string> = {
  new: 'New message',
  reply: 'Reply',
  'reply-all': 'Reply to all',
  'reply-list': 'Reply to the list',
  forward: 'Forward',
  'forward-attached': 'Forward as attachment',
  recall: 'Postponed message',
};

function keyHint(keymap: Keymap, command: string, label: string): string | null {
  const spec = keysFor(keymap, 'compose', command)[0];
  return spec ? `${displayKeys(parseKeySpec(spec) ?? [spec])} ${label}` : null;
}

export const ComposeReview = memo(function ComposeReview(
  props: ComposeReviewProps & { kind: string },
) {
  const styles = useStyles();
  const { draft, width, height } = props;
  const labelWidth = 10;
  const field = (label: string, value: string) => {
    const text = truncateToWidth(sanitizeLine(value), Math.max(1, width - labelWidth - 1));
    return (
      <Text key={label} wrap="truncate">
        <Text {...styles.header}>{padToWidth(` ${label}`, labelWidth)}</Text>
        {text}
      </Text>
    );
  };
  const head = [
    field('From:', formatAddressList([draft.from])),
    field('To:', formatAddressList(draft.to)),
  ];
  if (draft.cc.length) head.push(field('Cc:', formatAddressList(draft.cc)));
  if (draft.bcc.length) head.push(field('Bcc:', formatAddressList(draft.bcc)));
  head.push(field('Subject:', draft.subject || '(no subject)'));
  draft.attachments.forEach((a, index) => {
    const size = a.size === null ? '' : `, ${formatSize(a.size)}`;
    const type = a.contentType || 'type from the name';
    head.push(
      <Text key={`a${index}`} wrap="truncate" {...styles.attachment}>
        {truncateToWidth(
          ` ${index + 1}. ${sanitizeLine(a.filename)} (${sanitizeLine(type)}${size})`,
          width,
        )}
      </Text>,
    );
  });
  const problems = props.problems.map((problem, index) => (
    <Text key={`p${index}`} wrap="truncate" {...styles.error}>
      {truncateToWidth(` ! ${sanitizeLine(problem)}`, width)}
    </Text>
  ));
  const hints = [
    keyHint(props.keymap, 'compose.send', 'send'),
    keyHint(props.keymap, 'compose.edit', 'edit'),
    keyHint(props.keymap, 'compose.attach', 'attach'),
    keyHint(props.keymap, 'compose.detach', 'remove attachment'),
    keyHint(props.keymap, 'compose.postpone', 'postpone'),
    keyHint(props.keymap, 'compose.abandon', 'abandon'),
    keyHint(props.keymap, 'compose.edit-to', 'to'),
    keyHint(props.keymap, 'compose.edit-cc', 'cc'),
    keyHint(props.keymap, 'compose.edit-subject', 'subject'),
    keyHint(props.keymap, 'compose.edit-from', 'from'),
  ].filter(Boolean);
  const bodyRoom = Math.max(0, height - 1 - head.length - problems.length - 3);
  const bodyLines = wrapText(sanitizeText(draft.body), Math.max(10, width - 2)).slice(0, bodyRoom);
  const title = ` ${TITLES[props.kind] ?? 'Message'}: review before sending`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate" {...styles.readerTitle}>
        {padToWidth(truncateToWidth(title, width), width)}
      </Text>
      {head}
      {problems}
      <Text {...styles.separator}>{'─'.repeat(Math.max(0, width))}</Text>
      {bodyLines.map((line, index) => (
        <Text key={`b${index}`} wrap="truncate">
          {' '}
          <Text
            {...(/^>\s*>/.test(line) ? styles.quote2 : line.startsWith('>') ? styles.quote1 : {})}
          >
            {line}
          </Text>
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text wrap="truncate" {...styles.prompt}>
        {truncateToWidth(` ${hints.join(' · ')}`, Math.max(0, width - cellWidth(' ')))}
      </Text>
    </Box>
  );
});
