/**
 * What importing a module registers with Django: signal receivers (`@receiver`, the configured
 * project decorators such as `@mutable_receiver`, `signal.connect(...)`), models (see
 * django-models.ts; abstract models register nothing and are left out) and admin registrations
 * (`admin.site.register(...)`, `@admin.register`). The one place every rule asks whether those
 * registrations still (or ever) run at setup.
 */
import type { ChainLink } from "../core/types";
import type { ExecutionContext, PyFileFacts } from "../python/types";
import { type DjangoModel, djangoModels } from "./django-models";
import type { RepoSide } from "./model";

/** One receiver or admin registration: what a reader is shown, its line, and a key that does not depend on its place. */
export interface Registration {
  text: string;
  line: number;
  key: string;
  context: ExecutionContext;
}

export interface Effects {
  receivers: Registration[];
  models: DjangoModel[];
  admin: Registration[];
}

function lastPart(callee: string): string {
  const i = callee.lastIndexOf(".");
  return i < 0 ? callee : callee.slice(i + 1);
}

/** What importing `module` (defined in `path`) registers with Django (reads the file's statements only when a model has its own `Meta`). */
export async function effectsOf(side: RepoSide, module: string, path: string, facts: PyFileFacts, receiverDecorators: readonly string[]): Promise<Effects> {
  const receivers: Registration[] = [];
  for (const d of facts.decorators) {
    if (receiverDecorators.includes(d.callee) || receiverDecorators.includes(lastPart(d.callee))) {
      receivers.push({ text: `${d.target} (@${d.text}) at ${path}:${d.line}`, line: d.line, key: `@${d.text} ${d.target}`, context: d.context });
    }
  }
  for (const c of facts.connects) receivers.push({ text: `${c.signal}.connect(${c.args}) at ${path}:${c.line}`, line: c.line, key: `${c.signal}.connect(${c.args})`, context: c.context });
  const models = await djangoModels(side, module, path, facts);
  const admin: Registration[] = [
    ...facts.adminRegisters.map((a) => ({ text: `admin.site.register(${a.args}) at ${path}:${a.line}`, line: a.line, key: `register(${a.args})`, context: TOP })),
    ...facts.decorators
      .filter((d) => /(^|\.)admin\.register$/.test(d.callee))
      .map((d) => ({ text: `@${d.text} on ${d.target} at ${path}:${d.line}`, line: d.line, key: `@${d.text} ${d.target}`, context: d.context })),
  ];
  return { receivers, models, admin };
}

/** The scanner records `admin.site.register(...)` calls without their context: taken as run at import. */
const TOP: ExecutionContext = { kind: "top", atImport: true, conditional: false, scope: "", frames: [] };

/** Said of a module the head imports only on the first request (the exact words). */
export const WEB_ONLY = "connects only after the first request in web processes; never in Celery, migrate, shell";

/** The detail line of the chain through which the first request (the URLconf) imports a module. */
export function firstRequestDetail(chain: readonly ChainLink[]): string {
  return `first request: ${chain.map((l, i) => (i === 0 ? l.module : `${l.module} (${chain[i - 1].file}:${l.line})`)).join(" -> ")}`;
}

/** Lines of a reader's detail list: `receiver: ...`, `model: ...`, `admin: ...`. */
export function effectDetails(effects: Effects): string[] {
  return [
    ...effects.receivers.map((r) => `receiver: ${r.text}`),
    ...effects.models.map((m) => `model: ${m.name} at ${m.path}:${m.line}${m.userModel ? " (custom user model)" : ""}`),
    ...effects.admin.map((a) => `admin: ${a.text}`),
  ];
}
