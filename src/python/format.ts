/** Python source text for scanner records, for messages. */
import type { PyImport } from "./types";

/** `import a.b as c` / `from .x import y, z` as one line of Python. */
export function importStatementText(imp: PyImport): string {
  const names = imp.names.map((n) => (n.asname ? `${n.name} as ${n.asname}` : n.name)).join(", ");
  const lazy = imp.lazy ? "lazy " : "";
  if (imp.kind === "import") return `${lazy}import ${names}`;
  return `${lazy}from ${".".repeat(imp.level)}${imp.module} import ${imp.star ? "*" : names}`;
}
