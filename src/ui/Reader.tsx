/**
 * The message view: a title bar, then the body lines from core/text (already
 * sanitised and wrapped), scrolled, with quotes and the signature dimmed and
 * find matches highlighted; or the list of attachments to save.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import {
  cellWidth,
  formatSize,
  padToWidth,
  sanitizeLine,
  truncateToWidth,
} from '../core/text/index.js';
import type { MessageView } from '../core/types.js';
import {
  cachedPageLines,
  cachedReaderLines,
  findMatches,
  type FindMatch,
  type RenderedLine,
} from './reader-lines.js';
import { readerTextWidth } from './layout.js';
import { useStyles, type StyleRole, type TextStyle } from './theme.js';
import type { MessagePane } from './ui-state.js';
import type { Reading } from './ui-store.js';

export interface ReaderProps {
  pane: MessagePane;
  reading: Reading | null;
  /** Subject from the list, shown while the message loads. */
  subject: string;
  /** `3/1,234`: where the message is in the list. */
  position: string;
  width: number;
  /** Body rows (the title bar is extra). */
  height: number;
  showAttachments: boolean;
}

const KIND_ROLE: Partial<Record<RenderedLine['kind'], StyleRole>> = {
  header: 'header',
  signature: 'signature',
  link: 'link',
  attachment: 'attachment',
  section: 'section',
  note: 'note',
  notice: 'note',
};

function lineStyle(line: RenderedLine, styles: Record<StyleRole, TextStyle>): TextStyle {
  if (line.kind === 'quote') return line.depth >= 2 ? styles.quote2 : styles.quote1;
  const role = KIND_ROLE[line.kind];
  return role ? styles[role] : {};
}

function Line({
  line,
  matches,
  current,
  width,
}: {
  line: RenderedLine;
  matches: FindMatch[];
  current: FindMatch | null;
  width: number;
}) {
  const styles = useStyles();
  const style = lineStyle(line, styles);
  const text = truncateToWidth(line.text, width);
  if (!matches.length) {
    return (
      <Text wrap="truncate">
        {' '}
        <Text {...style}>{text}</Text>
      </Text>
    );
  }
  const pieces = [];
  let at = 0;
  for (const match of matches) {
    if (match.start >= text.length) break;
    if (match.start > at) pieces.push(<Text key={`t${at}`}>{text.slice(at, match.start)}</Text>);
    const isCurrent =
      current !== null && current.start === match.start && current.line === match.line;
    pieces.push(
      <Text key={`m${match.start}`} {...(isCurrent ? styles.currentMatch : styles.match)}>
        {text.slice(match.start, Math.min(match.end, text.length))}
      </Text>,
    );
    at = Math.min(match.end, text.length);
  }
  if (at < text.length) pieces.push(<Text key={`t${at}`}>{text.slice(at)}</Text>);
  return (
    <Text wrap="truncate">
      {' '}
      <Text {...style}>{pieces}</Text>
    </Text>
  );
}

function TitleBar({ left, right, width }: { left: string; right: string; width: number }) {
  const styles = useStyles();
  const rightText = truncateToWidth(right, Math.max(0, width - 4));
  const leftWidth = Math.max(0, width - cellWidth(rightText));
  return (
    <Text wrap="truncate" {...styles.readerTitle}>
      {padToWidth(truncateToWidth(left, leftWidth), leftWidth)}
      {rightText}
    </Text>
  );
}

function Attachments({
  view,
  selected,
  width,
  height,
}: {
  view: MessageView;
  selected: number;
  width: number;
  height: number;
}) {
  const styles = useStyles();
  const rows = view.attachments.map((a, index) => {
    const details = `  ${sanitizeLine(a.contentType)}, ${formatSize(a.size)}${a.inline ? ', inline' : ''}`;
    const name = sanitizeLine(a.filename) || '(unnamed)';
    const prefix = ` ${index + 1}. `;
    const room = Math.max(4, width - cellWidth(prefix) - cellWidth(details));
    const text = padToWidth(`${prefix}${truncateToWidth(name, room)}${details}`, width);
    return (
      <Text
        key={a.id}
        wrap="truncate"
        {...(index === selected ? styles.selected : styles.attachment)}
      >
        {text}
      </Text>
    );
  });
  const top = Math.max(0, Math.min(selected - height + 3, view.attachments.length - height + 2));
  return (
    <Box flexDirection="column" width={width} height={height}>
      {rows.slice(top, top + height - 2)}
      <Text> </Text>
      <Text {...styles.dim}>
        {truncateToWidth(' Enter opens · s saves · S saves them all · q goes back', width)}
      </Text>
    </Box>
  );
}

export const Reader = memo(function Reader(props: ReaderProps) {
  const styles = useStyles();
  const { pane, reading, width, height } = props;
  const view = reading && reading.uid === pane.uid ? reading.view : null;
  const error = reading && reading.uid === pane.uid ? reading.error : null;
  const page = pane.page ?? null;
  const subject = page
    ? sanitizeLine(page.title)
    : sanitizeLine(view?.subject ?? props.subject).trim() || '(no subject)';
  let body;
  let right = props.position ? ` ${props.position} ` : ' ';
  if (!view && !page) {
    body = (
      <Text {...(error ? styles.error : styles.dim)}>
        {truncateToWidth(error ? ` ${sanitizeLine(error)}` : ' Loading the message…', width)}
      </Text>
    );
  } else if (props.showAttachments && view) {
    right = ` ${view.attachments.length} attached ${right.trim()} `;
    body = <Attachments view={view} selected={pane.attachment} width={width} height={height} />;
  } else {
    const textWidth = readerTextWidth({ mainWidth: width });
    const lines = page
      ? cachedPageLines(page.text, textWidth)
      : cachedReaderLines(view!, textWidth, pane.allHeaders);
    const matches = pane.find ? findMatches(lines, pane.find) : [];
    const current = pane.match >= 0 ? (matches[pane.match] ?? null) : null;
    const shown = lines.slice(pane.scroll, pane.scroll + height);
    const percent =
      lines.length <= height
        ? 'all'
        : `${Math.min(100, Math.round(((pane.scroll + height) * 100) / lines.length))}%`;
    right = ` ${percent}${props.position ? `  ${props.position}` : ''} `;
    body = shown.map((line, index) => {
      const number = pane.scroll + index;
      return (
        <Line
          key={number}
          line={line}
          matches={matches.filter((m) => m.line === number)}
          current={current}
          width={readerTextWidth({ mainWidth: width })}
        />
      );
    });
  }
  return (
    <Box flexDirection="column" width={width} height={height + 1}>
      <TitleBar left={` ${subject}`} right={right} width={width} />
      <Box flexDirection="column" width={width} height={height}>
        {body}
      </Box>
    </Box>
  );
});
