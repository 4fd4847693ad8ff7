/**
 * ESLint-RuleTester-style cases for the review: a base tree, the PR's edits, and the exact
 * findings expected (rule, file, line, severity). Every case builds a REAL git repository
 * (main commit, pr branch) and runs it through the git change source and the whole review,
 * so what counts as "changed" is what git says.
 */
import { review, type ReviewResult } from "../../src/review/review";
import { gitChangeSet } from "../../src/source/git";
import { makeRepo } from "./git-repo";

export interface ReviewCase {
  name: string;
  /** Files at the base revision. */
  base: Record<string, string>;
  /** Files the PR writes (content) or deletes (null). */
  head?: Record<string, string | null>;
  /** Renames the PR makes (`git mv`), applied before `head` writes. */
  renames?: [string, string][];
  /** Plugin options. */
  options?: Record<string, unknown>;
  /** Expected findings as `rule file:line severity` (line `-` for file-level findings). */
  expect: string[];
  /** Extra assertions on the full result. */
  check?: (result: ReviewResult) => void;
}

/** A minimal Django project most cases start from: settings, one app with apps.py and models. */
export const DJANGO_BASE: Record<string, string> = {
  "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
  "proj/__init__.py": "",
  "proj/settings.py": 'INSTALLED_APPS = [\n    "django.contrib.contenttypes",\n    "shop",\n]\n',
  "shop/__init__.py": "",
  "shop/apps.py": "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = \"shop\"\n\n    def ready(self):\n        from . import signals  # noqa: F401\n",
  "shop/signals.py": "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\nfrom .models import Order\n\n\n@receiver(post_save, sender=Order)\ndef on_order_saved(sender, instance, **kwargs):\n    pass\n",
  "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
  "shop/util.py": "def fmt(x):\n    return str(x)\n",
};

export function summarise(result: ReviewResult): string[] {
  return result.findings.map((f) => `${f.rule} ${f.file}:${f.line ?? "-"} ${f.severity}`).sort();
}

export async function runReviewCase(c: ReviewCase): Promise<ReviewResult> {
  const repo = makeRepo();
  for (const [p, content] of Object.entries(c.base)) repo.write(p, content);
  repo.commit("base");
  repo.git("checkout", "-q", "-b", "pr");
  for (const [from, to] of c.renames ?? []) {
    repo.mv(from, to);
  }
  for (const [p, content] of Object.entries(c.head ?? {})) {
    if (content === null) repo.rm(p);
    else repo.write(p, content);
  }
  repo.commit("pr");
  const cs = await gitChangeSet({ repo: repo.dir, base: "main", head: "pr" });
  try {
    return await review({ changeSet: cs, options: c.options });
  } finally {
    await cs.close?.();
  }
}

/** The valid/invalid table of one rule, as ESLint's RuleTester runs it. */
export function describeRule(rule: string, invalid: readonly ReviewCase[], valid: readonly ReviewCase[]): void {
  describe(rule, () => {
    test.each(invalid.map((c) => [c.name, c] as const))("invalid: %s", async (_n, c) => {
      const r = await runReviewCase(c);
      expect(summarise(r)).toEqual([...c.expect].sort());
      c.check?.(r);
    });
    test.each(valid.map((c) => [c.name, c] as const))("valid: %s", async (_n, c) => {
      const r = await runReviewCase(c);
      expect(summarise(r)).toEqual([]);
      c.check?.(r);
    });
  });
}
