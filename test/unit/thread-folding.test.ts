/** Folding threads: which rows show, what each folded row hides, and folds kept across a re-read. */
import { describe, expect, it } from 'vitest';
import { ThreadFolding } from '../../src/core/engine/thread-view.js';
import { flattenThreads } from '../../src/core/engine/threads.js';
import type { ThreadNode } from '../../src/core/engine/backend.js';

const node = (uid: number, ...children: ThreadNode[]): ThreadNode => ({ uid, children });
// 1 <- 2 <- 3, 1 <- 4; 5 alone; 6 <- 7.
const tree = () =>
  flattenThreads([node(1, node(2, node(3)), node(4)), node(5), node(6, node(7))], false);

describe('ThreadFolding', () => {
  it('folds the thread of any of its messages, and toggles back', () => {
    const folding = new ThreadFolding();
    folding.reset(false);
    expect(folding.setTree(tree()).uids).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const folded = folding.fold('toggle', [3])!;
    expect(folded.uids).toEqual([1, 5, 6, 7]);
    expect([...folded.folded]).toEqual([[1, [2, 3, 4]]]);
    expect(folding.hiddenUnder(4)).toBe(1);
    expect(folding.fold('toggle', [1])!.uids).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // A message alone has no thread to fold.
    expect(folding.fold('fold', [5])!.uids).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('folds all, unfolds all, and a toggle of all unfolds when any is folded', () => {
    const folding = new ThreadFolding();
    folding.reset(false);
    folding.setTree(tree());
    expect(folding.fold('fold')!.uids).toEqual([1, 5, 6]);
    expect(folding.fold('unfold')!.uids).toHaveLength(7);
    folding.fold('fold', [7]);
    expect(folding.fold('toggle')!.uids).toHaveLength(7);
    expect(folding.fold('toggle')!.uids).toEqual([1, 5, 6]);
  });

  it('starts folded when asked, and keeps folds when the tree is read again', () => {
    const folding = new ThreadFolding();
    folding.reset(true);
    expect(folding.setTree(tree()).uids).toEqual([1, 5, 6]);
    folding.fold('unfold', [6]);
    expect(folding.setTree(tree()).uids).toEqual([1, 5, 6, 7]);
    folding.reset(false);
    expect(folding.fold('fold')).toBeNull();
  });
});
