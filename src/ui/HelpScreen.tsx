/** The help screen: generated from the keymap in force, scrolled with the help keys. */
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
import { cachedHelpLines } from './help-lines.js';
import { useStyles } from './theme.js';

export interface HelpScreenProps {
  keymap: Keymap;
  /** The screen whose keys come first. */
  front: KeyContext;
  scroll: number;
  width: number;
  height: number;
}

export const HelpScreen = memo(function HelpScreen(props: HelpScreenProps) {
  const styles = useStyles();
  const { width, height } = props;
  const lines = cachedHelpLines(props.keymap, props.front, width - 2);
  const bodyHeight = Math.max(1, height - 1);
  const shown = lines.slice(props.scroll, props.scroll + bodyHeight);
  const close = keysFor(props.keymap, 'help', 'help.close')
    .map((spec) => displayKeys(parseKeySpec(spec) ?? [spec]))
    .join(' or ');
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
