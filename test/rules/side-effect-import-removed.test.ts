import { cleanupRepos } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase } from "../helpers/rule-tester";
import { WEB_ONLY } from "../../src/rules/registrations";

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

/** shop/models.py imports `line` at the base (its line 6) and no longer does at the head. */
function droppedFromModels(line: string, files: Record<string, string>): Pick<ReviewCase, "base" | "head"> {
  return { base: { ...DJANGO_BASE, ...files, "shop/models.py": `${DJANGO_BASE["shop/models.py"]}${line}\n` }, head: { "shop/models.py": DJANGO_BASE["shop/models.py"] } };
}
/** An abstract model (own Meta: abstract = True) and a concrete subclass whose Meta inherits the parent's (Django resets it to False). */
const STAMPED =
  "from django.db import models\n\n\nclass Stamped(models.Model):\n    created = models.DateTimeField()\n\n    class Meta:\n        abstract = True  # no table\n\n\nclass Named(models.Model):\n    class Meta: abstract = True\n";
const SETUP_FAILS = "django.setup() itself fails with ImproperlyConfigured";

const invalid: ReviewCase[] = [
  {
    name: "a dropped module's abstract model is left out; its subclass, whose Meta inherits the abstract one's, is a model (Django's rule)",
    ...droppedFromModels("from .stamped import Audit", {
      "shop/stamped.py": `${STAMPED}\n\nclass Audit(Stamped):\n    class Meta(Stamped.Meta):\n        ordering = ["created"]\n`,
    }),
    expect: [`${RULE} shop/models.py:6 warn`],
    check: (r) => {
      expect(r.findings[0].details).toEqual(["model: Audit at shop/stamped.py:15"]);
      expect(r.findings[0].message).toContain("1 model stops registering (Audit)");
    },
  },
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
      expect(f.message).toContain("1 signal receiver stop connecting");
      expect(f.message).not.toContain(WEB_ONLY);
    },
  },
  {
    name: "the dropped module is still imported by the URLconf at head: its receivers connect in web processes only, after the first request",
    base: {
      ...BASE,
      "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}ROOT_URLCONF = "proj.urls"\n`,
      "proj/urls.py": "from shop import audit  # noqa: F401\n\nurlpatterns = []\n",
    },
    head: { "shop/apps.py": APPS("        from . import signals  # noqa: F401\n") },
    expect: [`${RULE} shop/apps.py:8 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain(`1 signal receiver no longer connects at setup; it ${WEB_ONLY} (the head imports it only through the URLconf proj.urls)`);
      expect(f.message).not.toContain("stop connecting");
      expect(f.details).toContain("first request: proj.urls -> shop.audit (proj/urls.py:1)");
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
    // Horizon's openstack_auth/user.py: the AUTH_USER_MODEL, imported by models.py; without the
    // import django.setup() raises ImproperlyConfigured (checked against real Django in the corpus test).
    name: "models.py stops importing a custom user model (`models.AbstractBaseUser` of django.contrib.auth): setup fails",
    ...droppedFromModels("from .user import User  # noqa: F401", {
      "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}AUTH_USER_MODEL = "shop.User"\n`,
      "shop/user.py": "from django.contrib.auth import models\n\n\nclass User(models.AbstractBaseUser, models.AnonymousUser):\n    pass\n",
    }),
    expect: [`${RULE} shop/models.py:6 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.details).toEqual(["model: User at shop/user.py:4 (custom user model)"]);
      expect(f.message).toContain("1 model stops registering (User)");
      expect(f.message).toContain('"shop.User" at proj/settings.py:5');
      expect(f.message).toContain(SETUP_FAILS);
    },
  },
  {
    name: "models.py stops importing an `AbstractUser` subclass (from django.contrib.auth.models): named as a user model",
    ...droppedFromModels("from .accounts import Member", {
      "shop/accounts.py": "from django.contrib.auth.models import AbstractUser\n\n\nclass Member(AbstractUser):\n    pass\n",
    }),
    expect: [`${RULE} shop/models.py:6 warn`],
    check: (r) => {
      expect(r.findings[0].details).toEqual(["model: Member at shop/accounts.py:4 (custom user model)"]);
      expect(r.findings[0].message).toContain(`if it is AUTH_USER_MODEL, ${SETUP_FAILS}`);
    },
  },
  {
    name: "models deriving from a project abstract base in another module (re-exported, and through a module alias) stop registering",
    ...droppedFromModels("from . import catalog  # noqa: F401", {
      "core/__init__.py": "from .base import TimeStamped  # noqa: F401\n",
      "core/base.py": "from django.db import models\n\n\nclass TimeStamped(models.Model):\n    class Meta:\n        abstract = True\n",
      "shop/catalog.py": "from core import TimeStamped, base\n\n\nclass Product(TimeStamped):\n    pass\n\n\nclass Tag(base.TimeStamped):\n    pass\n",
    }),
    expect: [`${RULE} shop/models.py:6 warn`],
    check: (r) => expect(r.findings[0].details).toEqual(["model: Product at shop/catalog.py:4", "model: Tag at shop/catalog.py:8"]),
  },
  {
    name: "a model deriving from a third-party abstract model (django-model-utils' TimeStampedModel) stops registering",
    ...droppedFromModels("from .events import Event  # noqa: F401", {
      "shop/events.py": "from model_utils.models import TimeStampedModel\n\n\nclass Event(TimeStampedModel):\n    pass\n",
    }),
    expect: [`${RULE} shop/models.py:6 warn`],
    check: (r) => expect(r.findings[0].details).toEqual(["model: Event at shop/events.py:4"]),
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
    // django-mailman3 shape; django-axes' ready() calls self.initialize(), which imports its signals.
    name: "ready() refactored to call a method of the config that does the import: the receivers still connect",
    base: BASE,
    head: {
      "shop/apps.py": APPS("        self._connect_signals()\n\n    @classmethod\n    def _connect_signals(cls):\n        from . import audit, signals  # noqa: F401\n"),
    },
    expect: [],
  },
  {
    name: "models.py stops importing a module of abstract models (own `class Meta: abstract = True`): they register nothing",
    expect: [],
    ...droppedFromModels("from .stamped import Stamped, Named", { "shop/stamped.py": STAMPED }),
  },
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
    name: "a project base deriving from pydantic's BaseModel, in another module, is not a Django model",
    ...droppedFromModels("from .schemas import OrderIn", {
      "core/__init__.py": "",
      "core/schema.py": "from pydantic import BaseModel\n\n\nclass Schema(BaseModel):\n    pass\n",
      "shop/schemas.py": "from core.schema import Schema\n\n\nclass OrderIn(Schema):\n    total: int\n",
    }),
    expect: [],
  },
  {
    name: "plain classes, forms, serializers, managers and choices register nothing",
    ...droppedFromModels("from . import extras", {
      "shop/extras.py":
        "from django import forms\nfrom django.db import models\nfrom rest_framework import serializers\n\n\nclass Registry:\n    pass\n\n\nclass Local(Registry):\n    pass\n\n\n" +
        "class OrderForm(forms.ModelForm):\n    pass\n\n\nclass OrderSerializer(serializers.ModelSerializer):\n    pass\n\n\n" +
        "class OrderManager(models.Manager):\n    pass\n\n\nclass Status(models.TextChoices):\n    OPEN = \"open\"\n",
    }),
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
