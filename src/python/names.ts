/**
 * Byte-level lookup of the identifiers the scanner cares about, without building strings.
 *
 * The scanner classifies every NAME token it reads, so this must be cheap: a small hash
 * table over (length, first, middle, last byte) with an exact byte comparison to confirm.
 */

export const enum N {
  None = 0,
  // Hard keywords (1..39): a keyword can never be an operand, which the syntax checks rely on.
  False = 1,
  NoneKw,
  True,
  And,
  As,
  Assert,
  Async,
  Await,
  Break,
  Class,
  Continue,
  Def,
  Del,
  Elif,
  Else,
  Except,
  Finally,
  For,
  From,
  Global,
  If,
  Import,
  In,
  Is,
  Lambda,
  Nonlocal,
  Not,
  Or,
  Pass,
  Raise,
  Return,
  Try,
  While,
  With,
  Yield,
  LastKeyword = Yield,
  // Soft keywords and names with meaning to the scanner (not keywords).
  Match = 40,
  Case,
  Type,
  Lazy,
  TypeChecking,
  DunderName,
  DunderAll,
  ImportModule,
  DunderImport,
  Patch,
  Object,
  Dict,
  Multiple,
  Setattr,
  Delattr,
  Monkeypatch,
  Connect,
  Register,
  Site,
  Underscore,
  /**
   * Names a module almost never binds by an import or a `def` (`self`, `cls`, `super` and common
   * builtins): calls of them are most calls, so the scanner first reads a file without them and
   * reads it again, recording them, only if the file binds one (see `RARELY_BOUND`). These ids
   * mean nothing else to the scanner.
   */
  FirstRare,
  LastRare = FirstRare + 35,
}

/** The words of the ids `N.FirstRare..N.LastRare`, in order (at most 13 bytes each). */
export const RARELY_BOUND: readonly string[] = [
  "self",
  "cls",
  "super",
  "len",
  "range",
  "str",
  "isinstance",
  "issubclass",
  "hasattr",
  "getattr",
  "int",
  "float",
  "bool",
  "tuple",
  "bytes",
  "bytearray",
  "memoryview",
  "print",
  "sorted",
  "iter",
  "ValueError",
  "TypeError",
  "KeyError",
  "IndexError",
  "RuntimeError",
  "OSError",
  "Exception",
  "enumerate",
  "zip",
  "sum",
  "any",
  "all",
  "ord",
  "chr",
  "callable",
  "frozenset",
];

/** Whether `id` is one of `RARELY_BOUND`. */
export function isRarelyBound(id: N): boolean {
  return id >= N.FirstRare && id <= N.LastRare;
}

const WORDS: [string, N][] = [
  ["False", N.False],
  ["None", N.NoneKw],
  ["True", N.True],
  ["and", N.And],
  ["as", N.As],
  ["assert", N.Assert],
  ["async", N.Async],
  ["await", N.Await],
  ["break", N.Break],
  ["class", N.Class],
  ["continue", N.Continue],
  ["def", N.Def],
  ["del", N.Del],
  ["elif", N.Elif],
  ["else", N.Else],
  ["except", N.Except],
  ["finally", N.Finally],
  ["for", N.For],
  ["from", N.From],
  ["global", N.Global],
  ["if", N.If],
  ["import", N.Import],
  ["in", N.In],
  ["is", N.Is],
  ["lambda", N.Lambda],
  ["nonlocal", N.Nonlocal],
  ["not", N.Not],
  ["or", N.Or],
  ["pass", N.Pass],
  ["raise", N.Raise],
  ["return", N.Return],
  ["try", N.Try],
  ["while", N.While],
  ["with", N.With],
  ["yield", N.Yield],
  ["match", N.Match],
  ["case", N.Case],
  ["type", N.Type],
  ["lazy", N.Lazy],
  ["TYPE_CHECKING", N.TypeChecking],
  ["__name__", N.DunderName],
  ["__all__", N.DunderAll],
  ["import_module", N.ImportModule],
  ["__import__", N.DunderImport],
  ["patch", N.Patch],
  ["object", N.Object],
  ["dict", N.Dict],
  ["multiple", N.Multiple],
  ["setattr", N.Setattr],
  ["delattr", N.Delattr],
  ["monkeypatch", N.Monkeypatch],
  ["connect", N.Connect],
  ["register", N.Register],
  ["site", N.Site],
  ["_", N.Underscore],
  ...RARELY_BOUND.map((w, i): [string, N] => [w, (N.FirstRare + i) as N]),
];
if (RARELY_BOUND.length !== N.LastRare - N.FirstRare + 1) throw new Error("names: RARELY_BOUND and N.LastRare disagree");

const SLOTS = 1024;
const MASK = SLOTS - 1;
const tableWord: (Uint8Array | null)[] = new Array(SLOTS).fill(null);
const tableId = new Uint8Array(SLOTS);

function hash(len: number, first: number, mid: number, last: number): number {
  return (len * 97 + first * 31 + mid * 7 + last * 131) & MASK;
}

for (const [word, id] of WORDS) {
  const bytes = Buffer.from(word, "latin1");
  let h = hash(bytes.length, bytes[0], bytes[bytes.length >> 1], bytes[bytes.length - 1]);
  while (tableWord[h] !== null) h = (h + 1) & MASK;
  tableWord[h] = bytes;
  tableId[h] = id;
}

/** Classify the identifier `buf[start, end)`. */
export function nameId(buf: Uint8Array, start: number, end: number): N {
  const len = end - start;
  if (len > 13) return N.None;
  let h = hash(len, buf[start], buf[start + (len >> 1)], buf[end - 1]);
  for (;;) {
    const w = tableWord[h];
    if (w === null) return N.None;
    if (w.length === len) {
      let i = 0;
      while (i < len && w[i] === buf[start + i]) i++;
      if (i === len) return tableId[h] as N;
    }
    h = (h + 1) & MASK;
  }
}

export function isHardKeyword(id: N): boolean {
  return id !== N.None && id <= N.LastKeyword;
}

/** Keywords that open a compound statement (`async` and the soft `match`/`case` are handled apart). */
export function isCompoundKeyword(id: N): boolean {
  switch (id) {
    case N.If:
    case N.Elif:
    case N.Else:
    case N.While:
    case N.For:
    case N.Try:
    case N.Except:
    case N.Finally:
    case N.With:
    case N.Def:
    case N.Class:
      return true;
    default:
      return false;
  }
}
