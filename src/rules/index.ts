/** Every rule, in the order the docs list them. */
import { heavyImportAtStartup } from "./heavy-import-at-startup";
import { moduleMovedWithoutShim } from "./module-moved-without-shim";
import type { Rule } from "./rule";
import { sideEffectImportRemoved } from "./side-effect-import-removed";

export const RULES: readonly Rule[] = [heavyImportAtStartup, sideEffectImportRemoved, moduleMovedWithoutShim];

export type { RawFinding, Rule, RuleDocs, RuleMeta } from "./rule";
