/**
 * What a rule is: the metadata users read and configure, and a check over the review model.
 * A rule's docs live only in its `meta.docs`: docs/rules.md, the README's rule table and the
 * CLI help are generated from them (see docs/architecture.md, "Adding a rule").
 */
import type { ChainLink, Finding, Severity, SeveritySetting } from "../core/types";
import type { ReviewModel } from "./model";

export interface RuleDocs {
  /** One line: what the rule reports (the rule tables of the README and docs/rules.md). */
  what: string;
  /** The exact semantics, in a few paragraphs of Markdown: what is checked, what is left out and why. */
  details?: string;
  /** Why it matters for django.setup(). */
  why: string;
  /** How to fix a finding. */
  fix: string;
  /** A change the rule reports, and the same change done right (Python, with file names as comments). */
  example: { bad: string; good: string };
}

export interface RuleMeta<Id extends string = string> {
  id: Id;
  defaultSeverity: SeveritySetting;
  /** Fragment of the team's startup-time doc this rule links to. */
  docsAnchor: string;
  /** Eight words or so for the CLI help's rule list. */
  short: string;
  docs: RuleDocs;
}

/** A finding as a rule reports it: the engine adds severity, docs link and diff placement. */
export interface RawFinding {
  file: string;
  line: number | null;
  message: string;
  /** Overrides the rule's generic why/fix for this finding. */
  why?: string;
  fix?: string;
  fixCode?: Finding["fixCode"];
  chain?: ChainLink[];
  details?: string[];
  /** Highest severity this finding may get: the configured severity is lowered to it (never raised). */
  cap?: Severity;
  /** For findings about a file that no longer exists at head: pragmas are read from the base version. */
  side?: "head" | "base";
}

export interface Rule<Id extends string = string> {
  meta: RuleMeta<Id>;
  /** Asynchronous only where the model has to read (see RepoSide.filesNaming). */
  check(model: ReviewModel): RawFinding[] | Promise<RawFinding[]>;
}

/** Declares a rule, keeping its id's literal type (the registry's `RuleId` is the union of them). */
export function defineRule<const Id extends string>(rule: Rule<Id>): Rule<Id> {
  return rule;
}
