/**
 * Where a base line stands at head: a longest-common-subsequence match of the two versions'
 * lines. A removed line has no head line; it is anchored at the head line that now stands in
 * its place (the line after the last kept line before it), as a `@@ -a,n +c,0 @@` hunk says.
 */

const MAX_CELLS = 4_000_000;

/** For each base line (1-based), the head line it is kept as, or 0 when removed. Null when the files are too large to compare. */
export function keptLines(base: readonly string[], head: readonly string[]): Int32Array | null {
  // Trim the common prefix and suffix first: edits are usually small.
  let pre = 0;
  while (pre < base.length && pre < head.length && base[pre] === head[pre]) pre++;
  let suf = 0;
  while (suf < base.length - pre && suf < head.length - pre && base[base.length - 1 - suf] === head[head.length - 1 - suf]) suf++;
  const n = base.length - pre - suf;
  const m = head.length - pre - suf;
  if ((n + 1) * (m + 1) > MAX_CELLS) return null;
  const map = new Int32Array(base.length + 1);
  for (let i = 0; i < pre; i++) map[i + 1] = i + 1;
  for (let i = 0; i < suf; i++) map[base.length - i] = head.length - i;
  // LCS table over the middle part.
  const w = m + 1;
  const dp = new Int32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * w + j] = base[pre + i] === head[pre + j] ? dp[(i + 1) * w + j + 1] + 1 : Math.max(dp[(i + 1) * w + j], dp[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (base[pre + i] === head[pre + j]) {
      map[pre + i + 1] = pre + j + 1;
      i++;
      j++;
    } else if (dp[(i + 1) * w + j] >= dp[i * w + j + 1]) i++;
    else j++;
  }
  return map;
}

/** The head line standing where base line `line` was (itself when kept). */
export function headLineFor(base: readonly string[], head: readonly string[], line: number): number {
  const map = keptLines(base, head);
  if (map === null) return Math.min(line, Math.max(head.length, 1));
  if (map[line] > 0) return map[line];
  for (let k = line - 1; k >= 1; k--) if (map[k] > 0) return Math.min(map[k] + 1, Math.max(head.length, 1));
  return 1;
}
