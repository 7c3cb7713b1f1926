/**
 * The known name nearest to a mistyped one, for "did you mean" answers: edit
 * distance with swapped neighbours counting once (optimal string alignment),
 * since `:qiut` and `:fodler` are the usual slips.
 */

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `name`, or undefined when none is near enough to
 * be a slip (more than a third of the name changed, more than 3 edits, or
 * any edit of a name shorter than 3 letters): suggesting `:sort` for `:xyz` would only mislead. Ties go to the
 * earlier candidate, so list the common names first.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const word = name.toLowerCase();
  if (!word) return undefined;
  // One edit in a two-letter name is another name altogether (`:x` is not `:q`).
  const limit = word.length < 3 ? 0 : Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  if (!limit) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best?.name;
}
