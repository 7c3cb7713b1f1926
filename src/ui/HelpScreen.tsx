/**
 * The help screen: generated from the keymap in force, scrolled with the help keys. The
 * message log (`:messages`) shows in it too, with the same keys.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { padToWidth, truncateToWidth } from '../core/text/index.js';
import {
  displayKeys,
  keysFor,
  parseKeySpec,
  type KeyContext,
  type Keymap,
} from '../keymap/index.js';
import type { Notice } from '../core/store/state.js';
import { cachedHelpLines } from './help-lines.js';
import { logLines } from './message-log.js';
import { useStyles } from './theme.js';

export interface HelpScreenProps {
  keymap: Keymap;
  /** The screen whose keys come first. */
  front: KeyContext;
  scroll: number;
  width: number;
  height: number;
  /** The keys, or the message log. */
  page?: 'keys' | 'messages';
  log?: readonly Notice[];
}

export const HelpScreen = memo(function HelpScreen(props: HelpScreenProps) {
  const styles = useStyles();
  const { width, height } = props;
  const bodyHeight = Math.max(1, height - 1);
  const close = keysFor(props.keymap, 'help', 'help.close')
    .map((spec) => displayKeys(parseKeySpec(spec) ?? [spec]))
    .join(' or ');
  if (props.page === 'messages') {
    const all = logLines(props.log ?? [], width - 2);
    const more = all.length > bodyHeight ? ' · j/k and Space scroll' : '';
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text wrap="truncate" {...styles.readerTitle}>
          {padToWidth(truncateToWidth(` tmail messages · ${close} goes back${more}`, width), width)}
        </Text>
        {all.slice(props.scroll, props.scroll + bodyHeight).map((line, index) => (
          <Text
            key={props.scroll + index}
            wrap="truncate"
            {...(line.kind === 'error' ? styles.error : {})}
          >
            {` ${line.text}`}
          </Text>
        ))}
      </Box>
    );
  }
  const lines = cachedHelpLines(props.keymap, props.front, width - 2);
  const shown = lines.slice(props.scroll, props.scroll + bodyHeight);
  const more = lines.length > bodyHeight ? ' · Space for more' : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate" {...styles.readerTitle}>
        {padToWidth(truncateToWidth(` tmail keys · ${close} closes${more}`, width), width)}
      </Text>
      {shown.map((line, index) => {
        const key = props.scroll + index;
        if (line.kind === 'title')
          return (
            <Text key={key} {...styles.helpTitle}>
              {` ${line.text}`}
            </Text>
          );
        if (line.kind === 'blank') return <Text key={key}> </Text>;
        return (
          <Text key={key} wrap="truncate">
            {' '}
            <Text {...styles.helpKey}>{line.keys}</Text>
            {line.keys ? '  ' : ''}
            {line.text}
          </Text>
        );
      })}
    </Box>
  );
});
