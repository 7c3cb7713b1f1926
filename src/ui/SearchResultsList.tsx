/**
 * The results of a search across every folder (`:search -a`), in the list
 * pane: a header saying what was searched and how many match, a note when
 * some answers are the local cache's, then one row per message with its
 * folder. Only the rows on screen are drawn.
 */
import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import type { SearchResults } from '../commands/index.js';
import { padToWidth, truncateToWidth } from '../core/text/index.js';
import { DELETED, FLAGGED, SEEN } from '../core/types.js';
import type { ListCursor } from './list-nav.js';
import type { DateStyle } from './list-row.js';
import {
  folderColumnWidth,
  formatResultRow,
  resultsNoteLines,
  resultsRowsHeight,
  resultsTitle,
} from './search-results.js';
import { useStyles } from './theme.js';

export interface SearchResultsListProps {
  results: SearchResults;
  cursor: ListCursor;
  width: number;
  height: number;
  dateStyle: DateStyle;
}

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export const SearchResultsList = memo(function SearchResultsList(props: SearchResultsListProps) {
  const styles = useStyles();
  const { results, cursor, width, height } = props;
  const folderWidth = useMemo(() => folderColumnWidth(results.hits, width), [results.hits, width]);
  const today = useMemo(startOfToday, [Math.floor(Date.now() / 3_600_000)]);
  const note = resultsNoteLines(results, width);
  const rowsHeight = resultsRowsHeight(results, width, height);
  const rows = [];
  const last = Math.min(results.hits.length, cursor.top + rowsHeight);
  for (let i = cursor.top; i < last; i++) {
    const hit = results.hits[i]!;
    const row = formatResultRow(hit, {
      width,
      folderWidth,
      dateStyle: props.dateStyle,
      now: today,
    });
    if (i === cursor.row) {
      const text = `${row.flags}${row.folder} ${row.from} ${row.subject}${row.date ? ` ${row.date}` : ''}`;
      rows.push(
        <Text key={i} wrap="truncate" {...styles.selected}>
          {padToWidth(text, width)}
        </Text>,
      );
      continue;
    }
    const flags = hit.envelope.flags;
    const base = flags.includes(DELETED)
      ? styles.deleted
      : flags.includes(FLAGGED)
        ? styles.flagged
        : !flags.includes(SEEN)
          ? styles.unread
          : {};
    rows.push(
      <Text key={i} wrap="truncate" {...base}>
        <Text {...styles.flags}>{row.flags}</Text>
        <Text {...styles.section}>{row.folder}</Text> {row.from} {row.subject}
        {row.date ? <Text {...styles.date}> {row.date}</Text> : null}
      </Text>,
    );
  }
  if (!results.hits.length) {
    rows.push(
      <Text key="empty" {...styles.dim}>
        {truncateToWidth('  No message matches in any folder; q goes back to the folder.', width)}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate" {...styles.readerTitle}>
        {padToWidth(truncateToWidth(resultsTitle(results), width), width)}
      </Text>
      {note.map((line, i) => (
        <Text key={`note-${i}`} wrap="truncate" {...styles.note}>
          {line}
        </Text>
      ))}
      {rows}
    </Box>
  );
});
