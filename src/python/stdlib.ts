/** Which modules belong to CPython's standard library (by their top-level name; see stdlib-names.ts). */
import { STDLIB_NAMES } from "./stdlib-names";

export function isStdlib(module: string): boolean {
  const dot = module.indexOf(".");
  return STDLIB_NAMES.has(dot < 0 ? module : module.slice(0, dot));
}
