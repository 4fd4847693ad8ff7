import { cleanupRepos } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase } from "../helpers/rule-tester";
import { WEB_ONLY } from "../../src/rules/registrations-lost";

afterAll(cleanupRepos);

const RULE = "registrations-lost";

/**
 * The real case in small: shop/models.py imports a constant from the API package, whose
 * `__init__` builds the router eagerly; the router imports the viewsets, and a viewset imports
 * the receivers module. The URLconf includes the API's urls, which take the router.
 */
const LAZY_ROUTER_BASE: Record<string, string> = {
  ...DJANGO_BASE,
  "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}ROOT_URLCONF = "proj.urls"\n`,
  "proj/urls.py": 'from django.urls import include, path\n\nurlpatterns = [path("api/", include("shop.api.urls"))]\n',
  "shop/models.py": `${DJANGO_BASE["shop/models.py"]}\n\nfrom .api.constants import MAX_LEN  # noqa: E402\n`,
  "shop/api/__init__.py": "from .routes import router  # noqa: F401\n",
  "shop/api/constants.py": "MAX_LEN = 10\n",
  "shop/api/routes.py": "from .viewsets import OrderViewSet\n\nrouter = [OrderViewSet]\n",
  "shop/api/viewsets.py": "from shop import cache  # noqa: F401\n\n\nclass OrderViewSet:\n    pass\n",
  "shop/api/urls.py": "from shop.api import router\n\nurlpatterns = list(router)\n",
  "shop/cache.py":
    'from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\n\n@receiver(post_save, sender="shop.Order")\ndef invalidate_order_cache(sender, instance, **kwargs):\n    pass\n',
};
const LAZY_INIT = 'def __getattr__(name):\n    if name == "router":\n        from .routes import router\n\n        return router\n    raise AttributeError(name)\n';
const { "proj/urls.py": _urls, ...NO_URLCONF } = LAZY_ROUTER_BASE;
const NO_ROOT_URLCONF = { ...NO_URLCONF, "proj/settings.py": DJANGO_BASE["proj/settings.py"] };
const APPS = (body: string) => `from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n\n    def ready(self):\n${body}`;

const invalid: ReviewCase[] = [
  {
    name: "api/__init__.py turned into a lazy PEP 562 router: the receivers connect only after the first request",
    base: LAZY_ROUTER_BASE,
    head: { "shop/api/__init__.py": LAZY_INIT },
    expect: [`${RULE} shop/api/__init__.py:3 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("the import now runs inside __getattr__(), only when called");
      expect(f.inDiff).toBe(true);
      expect(f.message).toContain("`shop.cache` (1 signal receiver) is no longer imported by django.setup(): shop.api no longer imports shop.api.routes at setup (at the base: shop/api/__init__.py:1;");
      expect(f.message).toContain(WEB_ONLY);
      expect(f.details).toEqual([
        'receiver: invalidate_order_cache (@receiver(post_save, sender="shop.Order")) at shop/cache.py:5',
        "first request: proj.urls -> shop.api.urls (proj/urls.py:3) -> shop.api.routes (shop/api/urls.py:1) -> shop.api.viewsets (shop/api/routes.py:1) -> shop.cache (shop/api/viewsets.py:1)",
      ]);
      expect(f.chain?.map((l) => l.module)).toEqual(["shop.models", "shop.api", "shop.api.routes", "shop.api.viewsets", "shop.cache"]);
      expect(f.fixCode).toEqual({ path: "shop/apps.py", language: "python", code: "    def ready(self):\n        from shop import cache  # noqa: F401 (connects its receivers in every process)" });
    },
  },
  {
    name: "the same without a URLconf: nothing imports the receivers any more",
    base: NO_ROOT_URLCONF,
    head: { "shop/api/__init__.py": LAZY_INIT },
    expect: [`${RULE} shop/api/__init__.py:3 warn`],
    check: (r) => {
      expect(r.findings[0].message).toContain("reached it at the base; no process imports it any more (web, Celery, migrate, shell): it never connects");
      expect(r.findings[0].message).not.toContain(WEB_ONLY);
    },
  },
  {
    name: "a viewset stops importing the receivers module: reported at the removed line, where it stood",
    base: LAZY_ROUTER_BASE,
    head: { "shop/api/viewsets.py": "class OrderViewSet:\n    pass\n" },
    expect: [`${RULE} shop/api/viewsets.py:1 warn`],
    check: (r) => {
      expect(r.findings[0].inDiff).toBe(false);
      expect(r.findings[0].message).toContain("shop.api.viewsets no longer imports shop.cache at setup");
      expect(r.findings[0].message).toContain("it never connects");
    },
  },
  {
    name: "models and receivers riding on one cut link: one finding at the cut, listing each lost module and what it registers",
    base: {
      ...LAZY_ROUTER_BASE,
      "shop/api/viewsets.py": "from shop import cache  # noqa: F401\nfrom shop import alerts  # noqa: F401\n\n\nclass OrderViewSet:\n    pass\n",
      "shop/alerts.py": "from django.db import models\n\n\nclass Alert(models.Model):\n    pass\n\n\nclass AlertCheck(models.Model):\n    pass\n",
    },
    head: { "shop/api/__init__.py": LAZY_INIT },
    expect: [`${RULE} shop/api/__init__.py:3 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("2 modules (1 signal receiver, 2 models (Alert, AlertCheck) in all: `shop.cache`, `shop.alerts`) are no longer imported by django.setup(): shop.api no longer imports shop.api.routes at setup");
      expect(f.message).toContain(`each ${WEB_ONLY} (the head imports them only through the URLconf proj.urls)`);
      const urls = "first request: proj.urls -> shop.api.urls (proj/urls.py:3) -> shop.api.routes (shop/api/urls.py:1) -> shop.api.viewsets (shop/api/routes.py:1)";
      expect(f.details).toEqual([
        `\`shop.cache\` (1 signal receiver): ${WEB_ONLY}`,
        'receiver: invalidate_order_cache (@receiver(post_save, sender="shop.Order")) at shop/cache.py:5',
        `${urls} -> shop.cache (shop/api/viewsets.py:1)`,
        `\`shop.alerts\` (2 models (Alert, AlertCheck)): ${WEB_ONLY}`,
        "model: Alert at shop/alerts.py:4",
        "model: AlertCheck at shop/alerts.py:8",
        `${urls} -> shop.alerts (shop/api/viewsets.py:2)`,
      ]);
      // The chain of the first lost module; the fix imports each, where its kind belongs.
      expect(f.chain?.map((l) => l.module)).toEqual(["shop.models", "shop.api", "shop.api.routes", "shop.api.viewsets", "shop.cache"]);
      expect(f.fixCode).toEqual({
        language: "python",
        code: "# shop/apps.py\n    def ready(self):\n        from shop import cache  # noqa: F401 (connects its receivers in every process)\n\n# shop/models.py\nfrom shop.alerts import Alert, AlertCheck  # noqa: F401 (registers the models at setup)",
      });
    },
  },
  {
    name: "two receivers modules lost through one cut, one still imported on the first request: one finding saying which is web-only",
    base: {
      ...NO_ROOT_URLCONF,
      "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}ROOT_URLCONF = "proj.urls"\n`,
      "proj/urls.py": "from shop import cache  # noqa: F401\n\nurlpatterns = []\n",
      "shop/api/viewsets.py": "from shop import cache, audit  # noqa: F401\n\n\nclass OrderViewSet:\n    pass\n",
      "shop/audit.py": "from django.db.models.signals import post_delete\n\n\ndef log(sender, **kwargs):\n    pass\n\n\npost_delete.connect(log)\n",
    },
    head: { "shop/api/__init__.py": LAZY_INIT },
    expect: [`${RULE} shop/api/__init__.py:3 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain(`1 of them ${WEB_ONLY} (the head imports them only through the URLconf proj.urls); no process imports the other 1 any more: they never connect`);
      expect(f.details).toEqual([
        `\`shop.cache\` (1 signal receiver): ${WEB_ONLY}`,
        'receiver: invalidate_order_cache (@receiver(post_save, sender="shop.Order")) at shop/cache.py:5',
        "first request: proj.urls -> shop.cache (proj/urls.py:1)",
        "`shop.audit` (1 signal receiver): no process imports it any more (web, Celery, migrate, shell): it never connects",
        "receiver: post_delete.connect(log) at shop/audit.py:8",
      ]);
      expect(f.fixCode).toEqual({
        path: "shop/apps.py",
        language: "python",
        code: "    def ready(self):\n        from shop import cache  # noqa: F401 (connects its receivers in every process)\n        from shop import audit  # noqa: F401 (connects its receivers in every process)",
      });
    },
  },
  {
    name: "a ready() import dropped from apps.py: side-effect-import-removed reports it, this rule does not report it again",
    base: DJANGO_BASE,
    head: { "shop/apps.py": APPS("        pass\n") },
    expect: ["side-effect-import-removed shop/apps.py:8 warn"],
  },
  {
    name: "a changed package __init__ binds the name that was a submodule: the import stands, the package is the cut",
    base: {
      ...DJANGO_BASE,
      "shop/models.py": `${DJANGO_BASE["shop/models.py"]}\n\nfrom .hooks import audit  # noqa: E402,F401\n`,
      "shop/hooks/__init__.py": "",
      "shop/hooks/audit.py": "from django.db.models.signals import post_delete\n\n\ndef log(sender, **kwargs):\n    pass\n\n\npost_delete.connect(log)\n",
    },
    head: { "shop/hooks/__init__.py": "audit = None  # disabled\n" },
    expect: [`${RULE} shop/hooks/__init__.py:1 warn`],
    check: (r) => expect(r.findings[0].details).toEqual(["receiver: post_delete.connect(log) at shop/hooks/audit.py:8"]),
  },
];

const valid: ReviewCase[] = [
  {
    name: "a module of abstract models (own `class Meta: abstract = True`) stops being imported: it registers nothing",
    expect: [],
    base: {
      ...LAZY_ROUTER_BASE,
      "shop/api/viewsets.py": "from shop import basemodels  # noqa: F401\n\n\nclass OrderViewSet:\n    pass\n",
      "shop/basemodels.py": "from django.db import models\n\n\nclass Stamped(models.Model):\n    class Meta:\n        abstract = True\n\n\nclass Named(Stamped):\n    class Meta(Stamped.Meta):\n        abstract = True\n",
    },
    head: { "shop/api/__init__.py": LAZY_INIT },
  },
  {
    name: "an ordinary change on the chain (a docstring, an import reordered)",
    expect: [],
    base: LAZY_ROUTER_BASE,
    head: { "shop/api/routes.py": '"""Routes."""\nfrom .viewsets import OrderViewSet\n\nrouter = [OrderViewSet]\n', "shop/api/viewsets.py": "from shop import cache  # noqa: F401\n\n\nclass OrderViewSet:\n    \"\"\"Orders.\"\"\"\n" },
  },
  {
    name: "the lazy router, with the receivers wired from ready() in the same change",
    expect: [],
    base: LAZY_ROUTER_BASE,
    head: { "shop/api/__init__.py": LAZY_INIT, "shop/apps.py": APPS("        from . import cache, signals  # noqa: F401\n") },
  },
  {
    name: "the receivers module deleted with its import",
    expect: [],
    base: LAZY_ROUTER_BASE,
    head: { "shop/api/viewsets.py": "class OrderViewSet:\n    pass\n", "shop/cache.py": null },
  },
  {
    name: "the receivers removed from the module as the chain is cut",
    expect: [],
    base: LAZY_ROUTER_BASE,
    head: { "shop/api/__init__.py": LAZY_INIT, "shop/cache.py": "def invalidate_order_cache():\n    pass\n" },
  },
  {
    name: "an app removed from INSTALLED_APPS (deliberate: its startup root is gone)",
    expect: [],
    base: { ...LAZY_ROUTER_BASE, "proj/settings.py": 'INSTALLED_APPS = ["django.contrib.contenttypes", "shop", "extra"]\n', "extra/__init__.py": "", "extra/models.py": "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n" },
    head: { "proj/settings.py": 'INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]\n' },
  },
  {
    name: "a module without registrations stops being imported",
    expect: [],
    base: { ...LAZY_ROUTER_BASE, "shop/api/viewsets.py": "class OrderViewSet:\n    pass\n" },
    head: { "shop/api/routes.py": "router = []\n" },
  },
];

describeRule(RULE, invalid, valid);
