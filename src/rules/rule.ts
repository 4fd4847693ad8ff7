/** What a rule is: metadata users read and configure, and a check over the review model. */
import type { RuleId } from "../config";
import type { ChainLink, Finding, Severity, SeveritySetting } from "../core/types";
import type { ReviewModel } from "./model";

export interface RuleDocs {
  /** One line: what the rule reports. */
  what: string;
  /** Why it matters for django.setup(). */
  why: string;
  /** How to fix a finding. */
  fix: string;
  /** A change the rule reports, and the same change done right (Python, with file names as comments). */
  example: { bad: string; good: string };
}

export interface RuleMeta {
  id: RuleId;
  defaultSeverity: SeveritySetting;
  /** Fragment of the team's startup-time doc this rule links to. */
  docsAnchor: string;
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

export interface Rule {
  meta: RuleMeta;
  /** Asynchronous only where the model has to read (see RepoSide.filesNaming). */
  check(model: ReviewModel): RawFinding[] | Promise<RawFinding[]>;
}
