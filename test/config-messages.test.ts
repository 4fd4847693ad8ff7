/**
 * Configuration mistakes are errors that name the key (issue 11, item 15): a settings module
 * that does not resolve (with the close match), globs that are regular expressions or do not
 * parse.
 */
import { main } from "../src/cli/main";
import { resolveConfig } from "../src/review/config";
import { cleanupRepos, makeRepo } from "./helpers/git-repo";
import { DJANGO_BASE } from "./helpers/rule-tester";

afterAll(cleanupRepos);

async function review(pyproject: string): Promise<{ code: number; json: { findings: Array<{ rule: string; severity: string }>; errors: Array<{ kind: string; where: string; message: string }> } }> {
  const repo = makeRepo();
  for (const [p, c] of Object.entries(DJANGO_BASE)) repo.write(p, c);
  repo.write("pyproject.toml", pyproject);
  repo.commit("base");
  repo.git("checkout", "-q", "-b", "pr");
  repo.write("shop/models.py", `import numpy\n${DJANGO_BASE["shop/models.py"]}`);
  repo.commit("pr");
  let out = "";
  const code = await main(["review", "--repo", repo.dir, "--base", "main", "--format", "json", "--no-cache"], { out: (s) => (out += s), err: () => undefined, isTTY: false });
  return { code, json: JSON.parse(out) };
}

test('settings_module = "nope.settings" is a config error naming the close match', async () => {
  const r = await review('[tool.django-startup-guard]\nsettings_module = "nope.settings"\n');
  const err = r.json.errors.find((e) => e.kind === "config" && e.where === "settings_module");
  expect(err?.message).toMatch(/^settings_module = "nope\.settings" does not resolve to a module of the repository \(did you mean "proj\.settings"\?\)/);
});

test.each([
  ["^shop/.*$", /exclude\[0\]: "\^shop\/\.\*\$" looks like a regular expression, not a glob/],
  ["[invalid", /exclude\[0\]: "\[invalid" is not a valid glob: Missing closing: "\]"/],
  ["shop/(?:a|b)/**", /looks like a regular expression/],
  ["shop/{a,b", /is not a valid glob: Missing closing: "\}"/],
])("the glob %j is a config error naming the key", (glob, message) => {
  const { errors, config } = resolveConfig({ options: { exclude: [glob] } });
  expect(errors).toEqual([expect.objectContaining({ kind: "config", message: expect.stringMatching(message) })]);
  expect(config.exclude).toEqual([]);
});

test.each(["**/migrations/**", "**/.*", "shop/[ab]*.py", "shop/{a,b}/**", "!(tests)/**", "**/*.py"])("the glob %j is accepted", (glob) => {
  expect(resolveConfig({ options: { exclude: [glob] } }).errors).toEqual([]);
});
