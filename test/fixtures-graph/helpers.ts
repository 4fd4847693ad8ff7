/** Startup graphs of small in-memory repositories, for the graph tests. */
import { defaultConfig, type Config } from "../../src/review/config";
import { buildGraphs, type StartupGraph } from "../../src/graph";

export type Files = Record<string, string>;

export async function graphOf(files: Files, config: Partial<Config> = {}): Promise<StartupGraph> {
  const { head } = await buildGraphs({
    headFiles: Object.keys(files),
    readHead: async (p) => (p in files ? Buffer.from(files[p]) : null),
    baseOverrides: new Map(),
    config: { ...defaultConfig(), ...config },
  });
  return head;
}

/** Names of every module the graph says setup imports. */
export function imported(g: StartupGraph): string[] {
  return g.modules().map((m) => m.name);
}
