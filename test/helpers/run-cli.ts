/** The command line run in this process, its output captured (as a user would see it). */
import { main } from "../../src/cli/main";

export async function runInProcess(argv: string[], isTTY = false): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY });
  return { code, out, err };
}
