/**
 * The rule registry: every rule, in the order the docs list them. This list is the one place a
 * rule is registered: rule ids, default severities, configuration and pragma validation, the CLI
 * help, docs/rules.md and the README's rule table all come from it.
 */
import { deferredNameRemoved } from "./deferred-name-removed";
import { heavyImportAtStartup } from "./heavy-import-at-startup";
import { moduleMovedWithoutShim } from "./module-moved-without-shim";
import { registrationNeverConnected } from "./registration-never-connected";
import type { Rule } from "./rule";
import { registrationsLost } from "./registrations-lost";
import { sideEffectImportRemoved } from "./side-effect-import-removed";
import { startupImportCycle } from "./startup-import-cycle";

export const RULES = [heavyImportAtStartup, sideEffectImportRemoved, registrationsLost, registrationNeverConnected, moduleMovedWithoutShim, deferredNameRemoved, startupImportCycle] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]["meta"]["id"];

export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.meta.id);

export { defineRule, type RawFinding, type Rule, type RuleDocs, type RuleMeta } from "./rule";
