/**
 * Which classes of a module are Django models: a class is one when one of its bases, followed
 * through the repository's imports (first-party classes walked to their own bases), is a model
 * class of Django or of a third-party Django app. Used to say what stops registering when a
 * module is no longer imported.
 *
 * Third-party bases count when they are:
 * - `django.db.models.Model`, or a class from `django.contrib.<app>` models
 *   (`django.contrib.auth.models.AbstractUser`, `.base_user.AbstractBaseUser`,
 *   `django.contrib.sessions.base_session.AbstractBaseSession`, gis `db.models`);
 * - from another third-party module whose dotted path has a `models` component (where
 *   django-model-utils, django-mptt, django-polymorphic... keep their abstract models);
 * - named `...Model`, used in a module that imports `django.db` (a pydantic `BaseModel` in a
 *   module without Django's ORM is no Django model).
 * Names of the non-model classes those modules also export (managers, querysets, choices,
 * fields, `AnonymousUser`) never count. A base that cannot be resolved (a star import, an
 * assignment) counts by its text as before: `models.Model`, or `...Model` in a module importing
 * `django.db`.
 *
 * Abstract models register nothing and are left out, by Django's own rule (ModelBase.__new__ in
 * django/db/models/base.py: `abstract = getattr(attr_meta, "abstract", False)`, where
 * `attr_meta` is the `Meta` in the class's own body): a model is abstract when its own body has a
 * `class Meta:` whose body sets `abstract = True` (the last such assignment wins). A subclass of
 * an abstract model is concrete unless its own Meta says so again: Django sets the parent Meta's
 * `abstract` back to False once the parent is built, so `class Meta(Parent.Meta): pass` inherits
 * False. The Meta body is read (statements/tokens, not the scanner's facts, which do not keep
 * class attributes) only for files with a model that has a nested `Meta`.
 */
import type { ClassRef } from "../graph/app-configs";
import type { PyFileFacts } from "../python/types";
import type { Statement } from "../python/statements";
import type { RepoSide } from "./model";

export interface DjangoModel {
  name: string;
  module: string;
  path: string;
  line: number;
  /** It derives from Django's AbstractBaseUser/AbstractUser (or a third-party Abstract...User): a user model. */
  userModel: boolean;
}

const NOT_A_MODEL = /(Manager|QuerySet|Choices|Field|Key|Lookup|Transform|Func|Expression|Index|Constraint|Form|Serializer|Admin|Config|AnonymousUser|Mixin(?<!PermissionsMixin))$/;
const USER_BASE = /^(AbstractBaseUser|Abstract\w*User)$/;

function usesOrm(facts: PyFileFacts | undefined): boolean {
  return facts?.imports.some((i) => i.module === "django.db" || i.module.startsWith("django.db.")) ?? false;
}

/** Whether a third-party dotted class path is a Django model class (see the module comment). */
export function isThirdPartyModel(dotted: string, inOrmModule: boolean): boolean {
  const parts = dotted.split(".");
  const name = parts[parts.length - 1];
  const path = parts.slice(0, -1);
  if (NOT_A_MODEL.test(name)) return false;
  if (path[0] === "django") {
    const p = path.join(".");
    if (p === "django.db.models" || p === "django.db.models.base") return name === "Model";
    return path[1] === "contrib" && path.slice(2).some((c) => c === "models" || c === "base_user" || c === "base_session");
  }
  return path.includes("models") || (inOrmModule && /Model$/.test(name));
}

/** How a class's ancestry makes it a model: not at all, a model, or a user model. */
function modelKind(side: RepoSide, start: ClassRef): "no" | "model" | "user" {
  let model = false;
  for (const { owner, base, found } of side.classes.bases(start)) {
    const orm = usesOrm(side.classes.factsOf(owner.module));
    const last = base.slice(base.lastIndexOf(".") + 1);
    if (found === null) {
      // Not resolvable through the repository: judged by its text.
      if (base === "models.Model" || (orm && /^[A-Za-z]*Model$/.test(last))) model = true;
    } else if ("thirdParty" in found && isThirdPartyModel(found.thirdParty, orm)) {
      if (USER_BASE.test(found.thirdParty.slice(found.thirdParty.lastIndexOf(".") + 1))) return "user";
      model = true;
    }
  }
  return model ? "model" : "no";
}

/** The module-level classes of `module` (defined in `path`) that are Django models, abstract ones left out. */
export async function djangoModels(side: RepoSide, module: string, path: string, facts: PyFileFacts): Promise<DjangoModel[]> {
  const out: DjangoModel[] = [];
  for (const cls of facts.classes) {
    if (cls.context.kind !== "top") continue;
    const kind = modelKind(side, { module, cls });
    if (kind !== "no") out.push({ name: cls.name, module, path, line: cls.line, userModel: kind === "user" });
  }
  if (!out.some((m) => facts.classes.some((c) => c.qualname === `${m.name}.Meta`))) return out;
  const statements = (await side.statements?.(path)) ?? null;
  if (statements === null) return out;
  return out.filter((m) => !isAbstract(facts, statements, m.name));
}

/** Whether the model class `name` has its own `class Meta:` whose body sets `abstract = True` (see the module comment). */
export function isAbstract(facts: PyFileFacts, statements: readonly Statement[], name: string): boolean {
  const meta = facts.classes.find((c) => c.qualname === `${name}.Meta`);
  if (meta === undefined) return false;
  // Scopes nested in the Meta (a method, a class) do not set its attributes.
  const inner = [...facts.classes, ...facts.functions].filter((s) => s.qualname.startsWith(`${name}.Meta.`));
  let abstract = false;
  for (const st of statements) {
    if (st.line < meta.line || st.line > meta.endLine || inner.some((s) => st.line >= s.line && st.line <= s.endLine)) continue;
    const [n, eq, value, ...rest] = st.toks;
    if (rest.length > 0 || n?.k !== "name" || n.v !== "abstract" || eq?.k !== "op" || eq.v !== "=" || value?.k !== "name") continue;
    if (value.v === "True" || value.v === "False") abstract = value.v === "True";
  }
  return abstract;
}
