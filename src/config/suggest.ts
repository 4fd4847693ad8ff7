/** "Did you mean" helpers for configuration messages. */

function normalise(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, "");
}

/** Levenshtein distance, small strings only. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * The allowed value closest to `got`: same words in another case style (`heavy_modules`
 * for `heavyModules`), else the nearest within a third of its length (at least 2 edits).
 */
export function closest(got: string, allowed: readonly string[]): string | null {
  const norm = normalise(got);
  const sameWords = allowed.find((a) => normalise(a) === norm);
  if (sameWords !== undefined) return sameWords;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(norm, normalise(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(norm.length / 3));
  if (best !== null && bestDistance <= limit) return best;
  // A shortened spelling of exactly one allowed value: `heavy-imports` for `heavy-import-at-startup`.
  const first = firstWord(got);
  if (first.length < 4) return null;
  const sameStart = allowed.filter((a) => firstWord(a) === first);
  return sameStart.length === 1 ? sameStart[0] : null;
}

function firstWord(text: string): string {
  const word = text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[-_\s.]+/)[0] ?? "";
  return word.toLowerCase().replace(/s$/, "");
}

/** Words other tools use for severities, mapped to ours. */
const SEVERITY_SYNONYMS: Record<string, string> = {
  error: "fail",
  errors: "fail",
  err: "fail",
  failure: "fail",
  deny: "fail",
  warning: "warn",
  warnings: "warn",
  info: "message",
  information: "message",
  note: "message",
  msg: "message",
  ignore: "off",
  none: "off",
  disable: "off",
  disabled: "off",
  allow: "off",
};

/** Suggestion for a mistyped severity, including ESLint's numbers (0, 1, 2) and booleans. */
export function suggestSeverity(got: unknown): string | null {
  if (got === 0 || got === false) return "off";
  if (got === 1) return "warn";
  if (got === 2 || got === true) return "fail";
  if (typeof got !== "string") return null;
  const lower = got.trim().toLowerCase();
  if (SEVERITY_SYNONYMS[lower] !== undefined) return SEVERITY_SYNONYMS[lower];
  return closest(lower, ["off", "message", "warn", "fail"]);
}

export function didYouMean(suggestion: string | null): string {
  return suggestion === null ? "" : ` (did you mean "${suggestion}"?)`;
}
