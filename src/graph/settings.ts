/**
 * What `django.setup()` reads from the settings module, statically: `INSTALLED_APPS` and
 * the classes `LOGGING` makes `logging.config.dictConfig` import (handler `class`/`()`,
 * formatter `()`/`class`, filter `()`), plus a custom `LOGGING_CONFIG` callable. Whatever
 * cannot be read is reported, never guessed: a partly read INSTALLED_APPS keeps every entry
 * it could read, and each part it could not (a call's result, a list handed to a function,
 * `globals()` writes, a loop over unknown values) is an `unresolved` entry with its file:line.
 */
import type { Unresolved } from "./types";
import { dictGet, type Value } from "./literal";
import type { ModuleValues, ValueReader } from "./values";

export interface AppEntry {
  entry: string;
  /** `file:line` of the string in INSTALLED_APPS. */
  where: string;
  /** Not read from INSTALLED_APPS but guessed (it could not be read at all): why. */
  guessed?: string;
}

export interface SettingsInfo {
  /** The settings module's values, or null when it is not in the repository. */
  values: ModuleValues | null;
  /** INSTALLED_APPS entries; null when INSTALLED_APPS could not be read at all. */
  installedApps: AppEntry[] | null;
  /** Dotted object paths the logging configuration imports. */
  loggingImports: AppEntry[];
  /** `ROOT_URLCONF`: the module Django imports on the first request (not at setup); null when not set or not read. */
  rootUrlconf: AppEntry | null;
  unresolved: Unresolved[];
  notes: string[];
}

function where(v: Value, fallback: string): string {
  return `${v.file ?? fallback}:${v.line}`;
}

/** The first-request phase's start: a literal ROOT_URLCONF, or an `unresolved` entry saying why it is not read. */
function readRootUrlconf(values: ModuleValues, info: SettingsInfo): void {
  const first = "the first-request phase (what the URLconf imports) is not followed";
  const conf = values.bindings.get("ROOT_URLCONF");
  // Not set (or set where the reader cannot see, which INSTALLED_APPS already reports): no first request to follow.
  if (conf === undefined) return;
  if (conf.value.t === "str") info.rootUrlconf = { entry: conf.value.v, where: `${conf.file}:${conf.line}` };
  else if (conf.value.t !== "const" || conf.value.v !== null) {
    const why = conf.value.t === "unknown" ? conf.value.why : "not a string";
    info.unresolved.push({ what: "ROOT_URLCONF", where: `${conf.file}:${conf.line}`, why: `${why}; ${first}`, phase: "first-request" });
  }
}

export async function readDjangoSettings(module: string, reader: ValueReader): Promise<SettingsInfo> {
  const values = await reader.read(module);
  const info: SettingsInfo = { values, installedApps: null, loggingImports: [], rootUrlconf: null, unresolved: [], notes: [] };
  if (values === null) return info;
  const file = values.file;
  const stars = values.opaqueStars.map((s) => s.module).join(", ");
  readRootUrlconf(values, info);

  for (const p of values.problems) info.unresolved.push({ what: "settings", where: `${p.file}:${p.line}`, why: p.why });
  info.notes.push(...values.notes);

  const apps = values.bindings.get("INSTALLED_APPS");
  if (apps === undefined) {
    if (stars) {
      info.unresolved.push({ what: "INSTALLED_APPS", where: file, why: `not set in the repository's settings; it may come from \`from ${stars} import *\`` });
    }
    for (const d of values.dynamic) info.unresolved.push({ what: "INSTALLED_APPS", where: `${d.file}:${d.line}`, why: `not set statically; it may be set by ${d.why}` });
    if (!stars && values.dynamic.length === 0) {
      info.installedApps = [];
      info.notes.push(`${module} does not set INSTALLED_APPS: no application is installed.`);
    }
  } else if (apps.value.t === "seq") {
    info.installedApps = [];
    const assumed = new Map<string, string[]>();
    for (const item of apps.value.items) {
      if (item.t === "str") {
        // A repeated entry is one app (Django refuses duplicate labels at setup anyway).
        if (info.installedApps.some((a) => a.entry === item.v)) continue;
        info.installedApps.push({ entry: item.v, where: where(item, file) });
        const a = item.assumed ?? apps.value.assumed;
        if (a !== undefined) assumed.set(a, [...(assumed.get(a) ?? []), `"${item.v}" (${where(item, file)})`]);
      } else if (item.t === "unknown") {
        // One entry per file:line: a list copied into another carries the same unknown parts.
        if (!info.unresolved.some((u) => u.where === where(item, file))) info.unresolved.push({ what: "an INSTALLED_APPS entry", where: where(item, file), why: item.why });
      }
      else info.unresolved.push({ what: "an INSTALLED_APPS entry", where: where(item, file), why: "not a string" });
    }
    for (const [a, entries] of assumed) info.notes.push(`INSTALLED_APPS ${entries.length === 1 ? "entry" : "entries"} ${entries.join(", ")}: ${a}.`);
    if (apps.conditional) {
      info.notes.push(`INSTALLED_APPS is set or changed under a condition (last at ${apps.file}:${apps.line}); every entry the reader saw is counted as installed.`);
    }
  } else {
    const why = apps.value.t === "unknown" ? apps.value.why : "not a list or tuple";
    info.unresolved.push({ what: "INSTALLED_APPS", where: `${apps.file}:${apps.line}`, why });
  }

  const config = values.bindings.get("LOGGING_CONFIG");
  if (config !== undefined && config.value.t === "const" && config.value.v === null) return info;
  if (config !== undefined) {
    if (config.value.t === "str") info.loggingImports.push({ entry: config.value.v, where: `${config.file}:${config.line}` });
    else info.unresolved.push({ what: "LOGGING_CONFIG", where: `${config.file}:${config.line}`, why: config.value.t === "unknown" ? config.value.why : "not a string" });
  }
  const logging = values.bindings.get("LOGGING");
  if (logging === undefined) return info;
  if (logging.value.t !== "dict") {
    const why = logging.value.t === "unknown" ? logging.value.why : "not a dict";
    info.unresolved.push({ what: "LOGGING", where: `${logging.file}:${logging.line}`, why: `${why}; the classes it names are not followed` });
    return info;
  }
  const sections: [string, string[]][] = [
    ["handlers", ["class", "()"]],
    ["formatters", ["()", "class"]],
    ["filters", ["()"]],
  ];
  for (const [section, keys] of sections) {
    const table = dictGet(logging.value, section);
    if (table === undefined) continue;
    if (table.t !== "dict") {
      info.unresolved.push({ what: `LOGGING["${section}"]`, where: where(table, logging.file), why: table.t === "unknown" ? table.why : "not a dict" });
      continue;
    }
    for (const e of table.entries) {
      if (e.value.t !== "dict") continue;
      for (const k of keys) {
        const v = dictGet(e.value, k);
        if (v === undefined) continue;
        if (v.t === "str") info.loggingImports.push({ entry: v.v, where: where(v, logging.file) });
        else if (v.t === "unknown") info.unresolved.push({ what: `LOGGING ${section} "${k}"`, where: where(v, logging.file), why: v.why });
      }
    }
  }
  return info;
}
