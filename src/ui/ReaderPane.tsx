/** The reader with what it needs from the list: the subject while loading and the position. */
import { memo } from 'react';
import type { MailStore } from '../core/store/store.js';
import { Reader } from './Reader.js';
import type { MessagePane } from './ui-state.js';
import type { Reading } from './ui-store.js';
import { useMailState } from './use-mail-state.js';

export interface ReaderPaneProps {
  store: MailStore;
  pane: MessagePane;
  reading: Reading | null;
  width: number;
  height: number;
  showAttachments: boolean;
}

export const ReaderPane = memo(function ReaderPane(props: ReaderPaneProps) {
  const uid = props.pane.uid;
  const subject = useMailState(props.store, (s) => s.view?.envelopes.get(uid)?.subject ?? '');
  const total = useMailState(props.store, (s) => s.view?.total ?? 0);
  const uids = useMailState(props.store, (s) => s.view?.uids);
  const row = uids ? uids.indexOf(uid) : -1;
  const position =
    row >= 0 ? `${(row + 1).toLocaleString('en-US')}/${total.toLocaleString('en-US')}` : '';
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
