/**
 * The one pure reducer: (snapshot, event) -> snapshot. It never mutates; maps
 * are copied only where they change, and those hold the fetched window, not
 * the folder, so each step costs what is on screen.
 */
import type { EngineEvent } from '../events.js';
import { SEEN, type Envelope, type Mailbox } from '../types.js';
import type { FolderView, MailState } from './state.js';

function withView(
  state: MailState,
  path: string,
  update: (view: FolderView) => FolderView,
): MailState {
  if (!state.view || state.view.path !== path) return state;
  const view = update(state.view);
  return view === state.view ? state : { ...state, view };
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

function updateFolder(
  folders: readonly Mailbox[],
  path: string,
  patch: Partial<Mailbox>,
): readonly Mailbox[] {
  const index = folders.findIndex((f) => f.path === path);
  if (index === -1) return folders;
  const next = folders.slice();
  next[index] = { ...folders[index]!, ...patch };
  return next;
}

/** Unread delta when flags change, for the sidebar count of the open folder. */
function unreadDelta(before: readonly string[] | undefined, after: readonly string[]): number {
  if (!before) return 0;
  const was = before.includes(SEEN);
  const is = after.includes(SEEN);
  return was === is ? 0 : is ? -1 : 1;
}

export function reduce(state: MailState, event: EngineEvent): MailState {
  switch (event.type) {
    case 'connection':
      return { ...state, connection: event.state };

    case 'folders':
      return { ...state, folders: event.folders, foldersLoaded: true };

    case 'folder-counts':
      return {
        ...state,
        folders: updateFolder(state.folders, event.path, {
          total: event.total,
          unread: event.unread,
        }),
      };

    case 'opening':
      return { ...state, opening: event.path };

    case 'view-opened': {
      // The same folder again (another sort, a search, threads on or off): the rows
      // already fetched are still good, and a client-side sort needs them.
      const same =
        state.view?.path === event.path && state.view.uidValidity === event.uidValidity
          ? state.view
          : null;
      return {
        ...state,
        opening: null,
        view: {
          path: event.path,
          uidValidity: event.uidValidity,
          total: event.total,
          uids: [],
          complete: event.total === 0,
          depth: null,
          guides: null,
          folded: null,
          envelopes: same ? same.envelopes : new Map(),
          previews: same ? same.previews : new Map(),
          sort: event.sort,
          threaded: event.threaded,
          search: event.search,
        },
      };
    }

    case 'view-uids':
      return withView(state, event.path, (view) => ({
        ...view,
        uids: event.uids,
        complete: event.complete,
        total: event.complete ? event.uids.length : Math.max(view.total, event.uids.length),
        depth: event.depth ?? (event.complete ? null : view.depth),
        guides: event.guides ?? (event.complete ? null : view.guides),
        folded: event.folded ?? (event.complete ? null : view.folded),
      }));

    case 'envelopes':
      return withView(state, event.path, (view) => {
        if (!event.envelopes.length) return view;
        const envelopes = new Map(view.envelopes);
        for (const envelope of event.envelopes) envelopes.set(envelope.uid, envelope);
        return { ...view, envelopes };
      });

    case 'previews':
      return withView(state, event.path, (view) => {
        const previews = new Map(view.previews);
        for (const [uid, text] of event.previews) previews.set(uid, text);
        return { ...view, previews };
      });

    case 'flags': {
      let unread = 0;
      const next = withView(state, event.path, (view) => {
        let envelopes: Map<number, Envelope> | null = null;
        for (const { uid, flags, modseq } of event.changes) {
          const current = view.envelopes.get(uid);
          if (!current) continue;
          const same = sameFlags(current.flags, flags);
          if (same && (modseq === undefined || modseq === current.modseq)) continue;
          unread += unreadDelta(current.flags, flags);
          envelopes ??= new Map(view.envelopes);
          // Flags changed without a MODSEQ (a local change, a server without CONDSTORE):
          // the old MODSEQ no longer describes what is shown, so it goes.
          const { modseq: _old, ...rest } = current;
          envelopes.set(
            uid,
            modseq === undefined ? { ...rest, flags } : { ...rest, flags, modseq },
          );
        }
        return envelopes ? { ...view, envelopes } : view;
      });
      if (!unread) return next;
      const folder = next.folders.find((f) => f.path === event.path);
      if (!folder || folder.unread === undefined) return next;
      return {
        ...next,
        folders: updateFolder(next.folders, event.path, {
          unread: Math.max(0, folder.unread + unread),
        }),
      };
    }

    case 'messages-added':
      return withView(state, event.path, (view) => {
        const known = new Set(view.uids);
        const fresh = event.uids.filter((uid) => !known.has(uid));
        if (!fresh.length) return view;
        const uids = event.position === 'top' ? [...fresh, ...view.uids] : [...view.uids, ...fresh];
        return { ...view, uids, total: view.total + fresh.length };
      });

    case 'messages-removed':
      return withView(state, event.path, (view) => {
        const gone = new Set(event.uids);
        const uids = view.uids.filter((uid) => !gone.has(uid));
        const removedRows = view.uids.length - uids.length;
        // Rows not yet listed (before the full list arrives) may be among the removed ones too.
        let removedUnlisted = 0;
        if (!view.complete) {
          const listed = new Set(view.uids);
          removedUnlisted = event.uids.filter((uid) => !listed.has(uid)).length;
        }
        if (!removedRows && !removedUnlisted) return view;
        let envelopes = view.envelopes;
        if (event.uids.some((uid) => envelopes.has(uid))) {
          const copy = new Map(envelopes);
          for (const uid of event.uids) copy.delete(uid);
          envelopes = copy;
        }
        return {
          ...view,
          uids,
          envelopes,
          total: Math.max(uids.length, view.total - removedRows - removedUnlisted),
        };
      });

    case 'view-closed':
      return { ...state, view: null, opening: null };

    case 'notice':
      return { ...state, notice: event.notice };

    case 'progress':
      return { ...state, progress: event.progress };

    case 'outbox':
      return state.outbox.waiting === event.waiting && state.outbox.needsYou === event.needsYou
        ? state
        : { ...state, outbox: { waiting: event.waiting, needsYou: event.needsYou } };

    case 'queued-changes':
      return state.queuedChanges === event.count && state.unsavedChanges === (event.unsaved ?? 0)
        ? state
        : { ...state, queuedChanges: event.count, unsavedChanges: event.unsaved ?? 0 };

    case 'undo-label':
      return { ...state, undoLabel: event.label };

    case 'from-cache':
      return { ...state, fromCache: { syncedAt: event.syncedAt } };

    case 'current':
      return state.fromCache ? { ...state, fromCache: null } : state;
  }
}
