/** Matching imported modules against the heavy-module list. */

/**
 * The entry of `heavyList` that `module` falls under, matching on dotted boundaries
 * (`scipy` covers `scipy` and `scipy.stats`, not `scipyx`); the longest entry wins.
 * For `from a import b`, ask for `a.b` as well as `a`: `from google import genai` imports
 * `google.genai`.
 */
export function matchHeavy(module: string, heavyList: readonly string[]): string | null {
  let best: string | null = null;
  for (const entry of heavyList) {
    if (entry === "") continue;
    const hit = module === entry || (module.startsWith(entry) && module.charAt(entry.length) === ".");
    if (hit && (best === null || entry.length > best.length)) best = entry;
  }
  return best;
}
