import { cleanupRepos } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase } from "../helpers/rule-tester";

afterAll(cleanupRepos);

const RULE = "side-effect-import-removed";
const APPS = (body: string) => `from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n\n    def ready(self):\n${body}`;
const AUDIT = "from django.db.models.signals import post_delete\n\nfrom .models import Order\n\n\ndef audit(sender, **kwargs):\n    pass\n\n\npost_delete.connect(audit, sender=Order)\n";
const BASE: Record<string, string> = {
  ...DJANGO_BASE,
  "shop/audit.py": AUDIT,
  "shop/apps.py": APPS("        from . import audit, signals  # noqa: F401\n"),
};

const { "shop/models.py": _modelsPy, ...WITHOUT_MODELS_PY } = DJANGO_BASE;

const invalid: ReviewCase[] = [
  {
    name: "one name dropped from `from . import audit, signals` in ready(): reported at the edited line, naming the receiver",
    base: BASE,
    head: { "shop/apps.py": APPS("        from . import signals  # noqa: F401\n") },
    expect: [`${RULE} shop/apps.py:8 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("shop.audit");
      expect(f.details?.join("\n")).toContain("post_delete.connect(audit, sender=Order) at shop/audit.py:10");
      expect(f.fixCode?.code).toContain("from . import audit");
      expect(f.inDiff).toBe(true);
    },
  },
  {
    name: "the whole side-effect line removed by an unused-import clean-up: reported where it stood",
    base: DJANGO_BASE,
    head: { "shop/apps.py": APPS("        pass\n") },
    expect: [`${RULE} shop/apps.py:8 warn`],
    check: (r) => expect(r.findings[0].details?.join("\n")).toContain("on_order_saved (@receiver(post_save, sender=Order)) at shop/signals.py:7"),
  },
  {
    name: "models/__init__.py stops importing a models module: models stop registering",
    base: {
      ...WITHOUT_MODELS_PY,
      "shop/models/__init__.py": "from .order import Order  # noqa: F401\nfrom .alert import Alert, AlertCheck  # noqa: F401\n",
      "shop/models/order.py": "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
      "shop/models/alert.py": "from django.db import models\n\n\nclass Alert(models.Model):\n    pass\n\n\nclass AlertCheck(models.Model):\n    pass\n",
    },
    head: { "shop/models/__init__.py": "from .order import Order  # noqa: F401\n" },
    expect: [`${RULE} shop/models/__init__.py:2 warn`],
    check: (r) => expect(r.findings[0].details).toEqual(["model: Alert at shop/models/alert.py:4", "model: AlertCheck at shop/models/alert.py:8"]),
  },
  {
    name: "deleting apps.py removes every side-effect import",
    base: DJANGO_BASE,
    head: { "shop/apps.py": null },
    expect: [`${RULE} shop/apps.py:- warn`],
  },
];

const valid: ReviewCase[] = [
  {
    name: "the import and the module are deleted together: the receivers were removed on purpose",
    base: BASE,
    head: { "shop/apps.py": APPS("        from . import signals  # noqa: F401\n"), "shop/audit.py": null },
    expect: [],
  },
  {
    name: "a pydantic BaseModel is not a Django model",
    base: {
      ...DJANGO_BASE,
      "shop/schemas.py": "from pydantic import BaseModel\n\n\nclass OrderIn(BaseModel):\n    total: int\n",
      "shop/models.py": `${DJANGO_BASE["shop/models.py"]}from .schemas import OrderIn  # re-export\n`,
    },
    head: { "shop/models.py": DJANGO_BASE["shop/models.py"] },
    expect: [],
  },
  {
    name: "reordering and re-spelling imports removes nothing",
    base: BASE,
    head: { "shop/apps.py": APPS("        from shop import signals  # noqa: F401\n        from . import audit  # noqa: F401\n") },
    expect: [],
  },
  {
    name: "a removed import of a module that registers nothing (and was not marked noqa) is not a side-effect import",
    base: { ...DJANGO_BASE, "shop/apps.py": APPS("        from . import signals, util\n") },
    head: { "shop/apps.py": APPS("        from . import signals\n") },
    expect: [],
  },
  {
    name: "removed from ready() but models still import it at setup",
    base: { ...DJANGO_BASE, "shop/models.py": `${DJANGO_BASE["shop/models.py"]}\nfrom . import signals  # noqa: E402,F401\n` },
    head: { "shop/apps.py": APPS("        pass\n") },
    expect: [],
  },
];

describeRule(RULE, invalid, valid);
