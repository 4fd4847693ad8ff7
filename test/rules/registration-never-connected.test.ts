import { cleanupRepos } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase } from "../helpers/rule-tester";
import type { ReviewResult } from "../../src/review/review";

afterAll(cleanupRepos);

const RULE = "registration-never-connected";
const RECEIVERS = "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\nfrom .models import Order\n\n\n@receiver(post_save, sender=Order)\ndef invalidate(sender, instance, **kwargs):\n    pass\n";
const CONNECT = "from django.db.models.signals import post_delete\n\nfrom .models import Order\n\n\ndef audit(sender, **kwargs):\n    pass\n\n\npost_delete.connect(audit, sender=Order)\n";
const MODELS = "from django.db import models\n\n\nclass Alert(models.Model):\n    pass\n\n\nclass AlertCheck(models.Model):\n    pass\n";
const APPS_NO_READY = 'from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n';

/** The base files without some of them. */
function without(files: Record<string, string>, ...paths: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([p]) => !paths.includes(p)));
}

/** The one finding's fix code (path and code). */
function fixOf(r: ReviewResult): { path?: string; code: string } | undefined {
  const f = r.findings.find((x) => x.rule === RULE);
  return f?.fixCode === undefined ? undefined : { path: f.fixCode.path, code: f.fixCode.code };
}

const invalid: ReviewCase[] = [
  {
    name: "a new signals module full of @receivers that no ready() imports: the exact line for ShopConfig.ready()",
    base: DJANGO_BASE,
    head: { "shop/handlers.py": RECEIVERS },
    expect: [`${RULE} shop/handlers.py:7 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("Nothing django.setup() runs imports `shop.handlers`");
      expect(f.message).toContain("1 signal receiver never connects");
      expect(f.details).toEqual(["receiver: invalidate (@receiver(post_save, sender=Order)) at shop/handlers.py:7"]);
      expect(f.fix).toContain("ShopConfig.ready() (shop/apps.py:7)");
      expect(fixOf(r)).toEqual({ path: "shop/apps.py", code: "        from . import handlers  # noqa: F401" });
      expect(f.inDiff).toBe(true);
    },
  },
  {
    name: "a `.connect(...)` in a new module of a subpackage, the app's config has no ready(): the ready() to add",
    base: { ...without(DJANGO_BASE, "shop/signals.py"), "shop/apps.py": APPS_NO_READY },
    head: { "shop/audit/__init__.py": "", "shop/audit/hooks.py": CONNECT.replace("from .models", "from ..models") },
    expect: [`${RULE} shop/audit/hooks.py:10 warn`],
    check: (r) => {
      expect(r.findings[0].fix).toContain("ShopConfig (shop/apps.py:4), the AppConfig Django uses for shop, has no ready() of its own");
      expect(fixOf(r)).toEqual({ path: "shop/apps.py", code: "    def ready(self):\n        super().ready()\n        from .audit import hooks  # noqa: F401" });
    },
  },
  {
    name: "an installed app without an apps.py: the whole apps.py to create",
    base: { ...DJANGO_BASE, "proj/settings.py": 'INSTALLED_APPS = [\n    "django.contrib.contenttypes",\n    "shop",\n    "blog_posts",\n]\n', "blog_posts/__init__.py": "" },
    head: { "blog_posts/signals.py": RECEIVERS.replace("from .models import Order", "from shop.models import Order") },
    expect: [`${RULE} blog_posts/signals.py:7 warn`],
    check: (r) => {
      expect(r.findings[0].fix).toContain("create blog_posts/apps.py");
      expect(fixOf(r)).toEqual({
        path: "blog_posts/apps.py",
        code: 'from django.apps import AppConfig\n\n\nclass BlogPostsConfig(AppConfig):\n    name = "blog_posts"\n\n    def ready(self):\n        from . import signals  # noqa: F401',
      });
    },
  },
  {
    name: "a project receiver decorator added to a module setup did not import before either",
    base: DJANGO_BASE,
    head: { "shop/util.py": `from .hooks import mutable_receiver\n\n\n@mutable_receiver("order_paid")\n${DJANGO_BASE["shop/util.py"]}` },
    options: { extendReceiverDecorators: ["mutable_receiver"] },
    expect: [`${RULE} shop/util.py:4 warn`],
    check: (r) => expect(r.findings[0].details).toEqual(['receiver: fmt (@mutable_receiver("order_paid")) at shop/util.py:4']),
  },
  {
    name: "a new models module no models module imports: the import for models.py",
    base: DJANGO_BASE,
    head: { "shop/alerts.py": MODELS },
    expect: [`${RULE} shop/alerts.py:4 warn`],
    check: (r) => {
      expect(r.findings[0].message).toContain("2 models (Alert, AlertCheck) never register");
      expect(fixOf(r)).toEqual({ path: "shop/models.py", code: "from .alerts import Alert, AlertCheck  # noqa: F401" });
    },
  },
  {
    name: "a model module of a models package that models/__init__.py does not import",
    base: { ...without(DJANGO_BASE, "shop/models.py"), "shop/models/__init__.py": "from .order import Order  # noqa: F401\n", "shop/models/order.py": DJANGO_BASE["shop/models.py"] },
    head: { "shop/models/alert.py": MODELS },
    expect: [`${RULE} shop/models/alert.py:4 warn`],
    check: (r) => expect(fixOf(r)).toEqual({ path: "shop/models/__init__.py", code: "from .alert import Alert, AlertCheck  # noqa: F401" }),
  },
  {
    name: "a new app whose models.py is not in INSTALLED_APPS: its own message, and the entry to add",
    base: DJANGO_BASE,
    head: { "billing/__init__.py": "", "billing/apps.py": 'from django.apps import AppConfig\n\n\nclass BillingConfig(AppConfig):\n    name = "billing"\n', "billing/models.py": MODELS },
    expect: [`${RULE} billing/models.py:4 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("belongs to `billing`, which is not in INSTALLED_APPS (proj/settings.py)");
      expect(f.message).toContain("RuntimeError");
      expect(f.fix).toBe('Add "billing" to INSTALLED_APPS in proj/settings.py.');
      expect(fixOf(r)).toEqual({ path: "proj/settings.py", code: '    "billing",' });
    },
  },
  {
    name: "admin.py without django.contrib.admin installed (nothing autodiscovers it)",
    base: DJANGO_BASE,
    head: { "shop/admin.py": "from django.contrib import admin\n\nfrom .models import Order\n\nadmin.site.register(Order)\n" },
    expect: [`${RULE} shop/admin.py:5 warn`],
    check: (r) => expect(r.findings[0].message).toContain("1 admin registration never runs"),
  },
  {
    name: "INSTALLED_APPS partly unknown: reported, capped at message, saying the rule could not decide",
    base: { ...DJANGO_BASE, "proj/settings.py": 'from .extra import more_apps\n\nINSTALLED_APPS = [\n    "shop",\n    *more_apps(),\n]\n', "proj/extra.py": "def more_apps():\n    return []\n" },
    head: { "shop/handlers.py": RECEIVERS },
    expect: [`${RULE} shop/handlers.py:7 message`],
    check: (r) => expect(r.findings[0].message).toContain("could not decide for certain: INSTALLED_APPS is partly unknown"),
  },
  {
    name: "setup runs an import_module() of a computed name: capped at message",
    base: { ...DJANGO_BASE, "shop/apps.py": `${APPS_NO_READY}\n    def ready(self):\n        import importlib\n\n        for name in ("signals",):\n            importlib.import_module(f"shop.{name}")\n` },
    head: { "shop/handlers.py": RECEIVERS },
    expect: [`${RULE} shop/handlers.py:7 message`],
    check: (r) => expect(r.findings[0].message).toContain("computed at run time"),
  },
  {
    name: "setup runs Django's import_string() of a computed path (django-debug-toolbar's panels): capped at message",
    base: { ...DJANGO_BASE, "shop/apps.py": `from django.utils.module_loading import import_string\n\n${APPS_NO_READY}\n    def ready(self):\n        for path in PATHS:\n            import_string(path)\n` },
    head: { "shop/handlers.py": RECEIVERS },
    expect: [`${RULE} shop/handlers.py:7 message`],
    check: (r) => expect(r.findings[0].message).toContain("import_string(path) at shop/apps.py:"),
  },
  {
    name: "ready() calls Django's autodiscover_modules(), which imports modules by name: capped at message",
    base: { ...DJANGO_BASE, "shop/apps.py": `from django.utils.module_loading import autodiscover_modules\n\n${APPS_NO_READY}\n    def ready(self):\n        autodiscover_modules("handlers")\n` },
    head: { "shop/handlers.py": RECEIVERS },
    expect: [`${RULE} shop/handlers.py:7 message`],
    check: (r) => expect(r.findings[0].message).toContain("shop/apps.py:10 calls autodiscover_modules() at setup"),
  },
  {
    name: "the URLconf includes a computed module: what the first request imports is partly unknown, capped at message",
    base: { ...DJANGO_BASE, "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}ROOT_URLCONF = "proj.urls"\n`, "proj/urls.py": 'import os\n\nfrom django.urls import include, path\n\nurlpatterns = [path("x/", include(os.environ["EXTRA_URLS"]))]\n' },
    head: { "shop/handlers.py": RECEIVERS },
    expect: [`${RULE} shop/handlers.py:7 message`],
    check: (r) => {
      expect(r.findings[0].message).toContain("nor does the URLconf proj.urls at the first request");
      expect(r.findings[0].message).toContain("what the first request imports is partly unknown");
    },
  },
  {
    name: "the PR unwires a module and adds a receiver to it: registrations lost (another rule), not never connected",
    base: DJANGO_BASE,
    head: { "shop/apps.py": APPS_NO_READY, "shop/signals.py": `${DJANGO_BASE["shop/signals.py"]}\n\n@receiver(post_save, sender=Order)\ndef second(sender, instance, **kwargs):\n    pass\n` },
    expect: ["side-effect-import-removed shop/apps.py:6 warn"],
  },
];

const valid: ReviewCase[] = [
  {
    name: "the new signals module is imported from ready() in the same PR",
    base: DJANGO_BASE,
    head: { "shop/handlers.py": RECEIVERS, "shop/apps.py": DJANGO_BASE["shop/apps.py"].replace("import signals", "import handlers, signals") },
    expect: [],
  },
  {
    name: "the new models module is imported by models.py",
    base: DJANGO_BASE,
    head: { "shop/alerts.py": MODELS, "shop/models.py": `${DJANGO_BASE["shop/models.py"]}\nfrom .alerts import Alert, AlertCheck  # noqa: E402,F401\n` },
    expect: [],
  },
  {
    name: "admin.py of an installed app with django.contrib.admin installed (autodiscovered)",
    base: { ...DJANGO_BASE, "proj/settings.py": 'INSTALLED_APPS = [\n    "django.contrib.admin",\n    "django.contrib.contenttypes",\n    "shop",\n]\n' },
    head: { "shop/admin.py": "from django.contrib import admin\n\nfrom .models import Order\n\nadmin.site.register(Order)\n" },
    expect: [],
  },
  {
    name: "receivers in tests, migrations, management commands and conftest run where they are used",
    base: DJANGO_BASE,
    head: {
      "shop/tests/__init__.py": "",
      "shop/tests/test_orders.py": RECEIVERS.replace("from .models", "from shop.models"),
      "shop/migrations/__init__.py": "",
      "shop/migrations/0002_hooks.py": CONNECT.replace("from .models", "from shop.models"),
      "shop/management/__init__.py": "",
      "shop/management/commands/__init__.py": "",
      "shop/management/commands/replay.py": CONNECT.replace("from .models", "from shop.models"),
      "conftest.py": CONNECT.replace("from .models", "from shop.models"),
    },
    expect: [],
  },
  {
    name: "modules a process imports by convention: a template tag library, the WSGI entry point, middleware named in settings",
    base: { ...DJANGO_BASE, "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}MIDDLEWARE = ["shop.middleware.TimingMiddleware"]\n` },
    head: {
      "shop/templatetags/__init__.py": "",
      "shop/templatetags/shop_tags.py": CONNECT.replace("from .models", "from ..models"),
      "proj/wsgi.py": `import os\n\nfrom django.core.wsgi import get_wsgi_application\nfrom django.db.backends.signals import connection_created\n\n\ndef tune(connection, **kwargs):\n    pass\n\n\nconnection_created.connect(tune)\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\napplication = get_wsgi_application()\n`,
      "shop/middleware.py": `${CONNECT}\n\nclass TimingMiddleware:\n    pass\n`,
    },
    expect: [],
  },
  {
    name: "a new receivers module the URLconf imports: connected at the first request (web-only is registrations-lost's business)",
    base: { ...DJANGO_BASE, "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}ROOT_URLCONF = "proj.urls"\n`, "proj/urls.py": "urlpatterns = []\n" },
    head: { "shop/handlers.py": RECEIVERS, "shop/views.py": "from . import handlers  # noqa: F401\n", "proj/urls.py": "from shop import views  # noqa: F401\n\nurlpatterns = []\n" },
    expect: [],
  },
  {
    name: "a connect inside a function registers nothing on import",
    base: DJANGO_BASE,
    head: { "shop/wiring.py": "from django.db.models.signals import post_save\n\n\ndef wire(handler):\n    post_save.connect(handler)\n" },
    expect: [],
  },
  {
    name: "an unreached module that already had its receiver, edited elsewhere: nothing added",
    base: { ...DJANGO_BASE, "shop/handlers.py": RECEIVERS },
    head: { "shop/handlers.py": `${RECEIVERS}\n\ndef helper():\n    return 1\n` },
    expect: [],
  },
  {
    name: "a new abstract model registers nothing (its subclasses do, where they are imported)",
    base: DJANGO_BASE,
    head: { "shop/base.py": "from django.db import models\n\n\nclass TimeStamped(models.Model):\n    created = models.DateTimeField(auto_now_add=True)\n\n    class Meta:\n        abstract = True\n" },
    expect: [],
  },
  {
    name: "a pydantic BaseModel in a new module is no Django model",
    base: DJANGO_BASE,
    head: { "shop/schemas.py": "from pydantic import BaseModel\n\n\nclass OrderIn(BaseModel):\n    total: int\n" },
    expect: [],
  },
  {
    name: "the receivers module renamed with its ready() import updated",
    base: DJANGO_BASE,
    renames: [["shop/signals.py", "shop/receivers.py"]],
    head: { "shop/apps.py": DJANGO_BASE["shop/apps.py"].replace("import signals", "import receivers") },
    expect: [],
  },
];

describeRule(RULE, invalid, valid);
