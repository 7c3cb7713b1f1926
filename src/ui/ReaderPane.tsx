/** The reader with what it needs from the list: the subject while loading and the position. */
import { memo } from 'react';
import { formatCount } from './batched-store.js';
import { Reader } from './Reader.js';
import type { MessagePane } from './ui-state.js';
import type { Reading } from './ui-store.js';
import { useMail } from './use-mail-state.js';

export interface ReaderPaneProps {
  pane: MessagePane;
  reading: Reading | null;
  width: number;
  height: number;
  showAttachments: boolean;
}

export const ReaderPane = memo(function ReaderPane(props: ReaderPaneProps) {
  const uid = props.pane.uid;
  const subject = useMail((s) => s.view?.envelopes.get(uid)?.subject ?? '');
  const total = useMail((s) => s.view?.total ?? 0);
  const uids = useMail((s) => s.view?.uids);
  const row = uids ? uids.indexOf(uid) : -1;
  const position = row >= 0 ? `${formatCount(row + 1)}/${formatCount(total)}` : '';
  return (
    <Reader
      pane={props.pane}
      reading={props.reading}
      subject={subject}
      position={position}
      width={props.width}
      height={props.height}
      showAttachments={props.showAttachments}
    />
  );
});
