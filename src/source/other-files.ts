/**
 * The files of a working tree that are not Python (tracked, and untracked ones git does not
 * ignore), listed by git without reading any: their directories are namespace portions to
 * CPython (module-index.ts). Outside a git repository, or when git fails, none (the graph
 * then knows only the directories of Python files).
 */
import { isUnderSkippedDir } from "./files";
import { gitOutput } from "./git-run";

export function listOtherFiles(root: string): Promise<string[]> {
  const args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".", ":(exclude)*.py", ":(exclude)*.pyi"];
  return gitOutput(root, args, root).then(
    (out) => out.split("\0").filter((p) => p !== "" && !isUnderSkippedDir(p)),
    () => [],
  );
}
