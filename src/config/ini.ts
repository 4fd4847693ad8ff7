/**
 * A small reader for the INI files Python tools use (`setup.cfg`, `tox.ini`, `pytest.ini`),
 * the way `configparser` reads them: `[section]` headers, `key = value` or `key: value`,
 * values continued on indented lines, whole-line comments starting with `#` or `;`. An
 * inline ` #` / ` ;` comment is dropped too (pytest's `iniconfig` does; a path never holds
 * one). Lines it cannot read are skipped: the file is read only for a few layout keys.
 */

export interface IniValue {
  value: string;
  /** 1-based line of the key. */
  line: number;
}

/** Section name -> key -> value (keys as written; later duplicates win, as in configparser). */
export type Ini = Map<string, Map<string, IniValue>>;

export function parseIni(text: string): Ini {
  const out: Ini = new Map();
  let section: Map<string, IniValue> | null = null;
  let last: IniValue | null = null;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) return;
    const content = trimmed.replace(/\s+[#;].*$/, "");
    if (/^\s/.test(raw) && last !== null) {
      last.value = last.value === "" ? content : `${last.value}\n${content}`;
      return;
    }
    const header = /^\[([^\]]+)\]$/.exec(content);
    if (header !== null) {
      const name = header[1].trim();
      section = out.get(name) ?? new Map<string, IniValue>();
      out.set(name, section);
      last = null;
      return;
    }
    const sep = /[=:]/.exec(content);
    if (section === null || sep === null) {
      last = null;
      return;
    }
    last = { value: content.slice(sep.index + 1).trim(), line: i + 1 };
    section.set(content.slice(0, sep.index).trim(), last);
  });
  return out;
}

/** A multi-line `key = value` mapping value (setup.cfg's `package_dir`): `= src` gives `"" -> "src"`. */
export function iniMapping(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of value.split("\n")) {
    const eq = line.indexOf("=");
    if (eq >= 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** A list value: items separated by whitespace, newlines or commas (pytest's `pythonpath`, setup.cfg's `where`). */
export function iniList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s !== "");
}
