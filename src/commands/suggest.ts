/** "Did you mean": registered names closest to what was typed. */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("gorup" → "group" is 1). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * Up to `limit` candidates, closest first. A candidate qualifies when it is within 1 edit (names of up to 4
 * characters) or 2 edits (longer), or when the input is a prefix of it ("mail" → "mailgroup").
 */
export function suggest(input: string, candidates: Iterable<string>, limit = 3): string[] {
  const typed = input.normalize('NFKC').toLowerCase();
  if (typed === '') return [];
  const scored: { name: string; score: number }[] = [];
  for (const name of new Set(candidates)) {
    if (name === typed) continue;
    const distance = editDistance(typed, name);
    const allowed = Math.max(typed.length, name.length) <= 4 ? 1 : 2;
    if (distance <= allowed) scored.push({ name, score: distance });
    else if (typed.length >= 2 && name.startsWith(typed)) scored.push({ name, score: allowed + 1 });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map((s) => s.name);
}
