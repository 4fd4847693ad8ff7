/** Where a command writes: injected so tests run commands in-process. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}
