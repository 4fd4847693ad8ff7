import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cleanupRepos } from "../helpers/git-repo";
import { describeRule, type ReviewCase } from "../helpers/rule-tester";

afterAll(cleanupRepos);

const RULE = "deferred-name-removed";
const PYTHON = process.env.PYTHON ?? "python3";

/**
 * Cases with what CPython does: each snippet is run at the base tree and at the head tree (in a
 * fresh interpreter, the tree first on sys.path), and must succeed at the base and end with the
 * stated exception at the head (`ok` when the head must work too; `AssertionError` when it runs but
 * does something else).
 */
type Case = ReviewCase & { python?: { code: string; head: "ok" | "ImportError" | "AttributeError" | "AssertionError" }[] };

const PAYMENTS = "class Gateway:\n    pass\n\n\ndef stripe_client():\n    return Gateway()\n";
const BILLING = "from shop.payments import stripe_client\n\n\ndef charge(total):\n    return stripe_client(), total\n";
const DEFERRED = "def charge(total):\n    from shop.payments import stripe_client\n\n    return stripe_client(), total\n";
const TEST = 'from unittest import mock\n\nfrom shop.billing import charge\n\n\n@mock.patch("shop.billing.stripe_client")\ndef test_charge(client):\n    assert charge(1)\n';
const BASE: Record<string, string> = {
  "shop/__init__.py": "",
  "shop/payments.py": PAYMENTS,
  "shop/billing.py": BILLING,
  "shop/tests/__init__.py": "",
  "shop/tests/test_billing.py": TEST,
};
const PATCH_AT_HEAD = { code: 'from unittest import mock\nmock.patch("shop.billing.stripe_client").start()', head: "AttributeError" } as const;

const invalid: Case[] = [
  {
    name: "an import deferred into the function: a test still patches it, a view still imports it",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: { "shop/billing.py": DEFERRED },
    expect: [`${RULE} shop/tests/test_billing.py:6 warn`, `${RULE} shop/views.py:1 warn`],
    python: [PATCH_AT_HEAD, { code: "import shop.views", head: "ImportError" }],
    check: (r) => {
      const patch = r.findings.find((f) => f.file === "shop/tests/test_billing.py");
      expect(patch?.message).toContain("deferred it into `charge()` (shop/billing.py:2)");
      expect(patch?.message).toContain("AttributeError");
      expect(patch?.fix).toContain('mock.patch("shop.payments.stripe_client")');
      const view = r.findings.find((f) => f.file === "shop/views.py");
      expect(view?.fixCode).toEqual({
        path: "shop/billing.py",
        language: "python",
        code: expect.stringContaining('    if name == "stripe_client":\n        from shop.payments import stripe_client\n        return stripe_client\n'),
      });
      expect(view?.details).toContain("also expects it: shop/tests/test_billing.py:6 (`mock.patch(\"shop.billing.stripe_client\")`)");
    },
  },
  {
    name: "a package __init__ re-exports the name and lists it in __all__",
    base: { ...BASE, "shop/lib/__init__.py": 'from .format import money\n\n__all__ = ["money"]\n', "shop/lib/format.py": "from shop.payments import stripe_client as money\n" },
    head: { "shop/lib/format.py": "def pay():\n    from shop.payments import stripe_client as money\n\n    return money()\n" },
    expect: [`${RULE} shop/lib/__init__.py:1 warn`],
    python: [{ code: "import shop.lib", head: "ImportError" }],
    check: (r) => {
      expect(r.findings[0].message).toContain("re-export of package `shop.lib`, listed in its `__all__`");
      expect(r.findings[0].fixCode?.code).toContain("from shop.payments import stripe_client as money\n        return money");
    },
  },
  {
    name: "the module's own __all__ still lists the name: `from module import *` raises",
    base: { ...BASE, "shop/lib/__init__.py": "", "shop/lib/format.py": '__all__ = [\n    "money",\n]\n\nfrom shop.payments import stripe_client as money\n' },
    head: { "shop/lib/format.py": '__all__ = [\n    "money",\n]\n\n\ndef pay():\n    from shop.payments import stripe_client as money\n\n    return money()\n' },
    expect: [`${RULE} shop/lib/format.py:2 warn`],
    python: [{ code: "from shop.lib.format import *", head: "AttributeError" }],
  },
  {
    name: "a call through the module (billing.stripe_client()) and patch.object(billing, ...)",
    base: {
      ...BASE,
      "shop/tasks.py": "from shop import billing\n\n\ndef refresh():\n    return billing.stripe_client()\n",
      "shop/tests/test_tasks.py": 'from unittest import mock\n\nfrom shop import billing\n\n\ndef test_refresh():\n    with mock.patch.object(billing, "stripe_client"):\n        pass\n',
    },
    head: { "shop/billing.py": DEFERRED },
    expect: [`${RULE} shop/tasks.py:5 warn`, `${RULE} shop/tests/test_billing.py:6 warn`, `${RULE} shop/tests/test_tasks.py:7 warn`],
    python: [
      { code: "import shop.tasks\nshop.tasks.refresh()", head: "AttributeError" },
      { code: 'from unittest import mock\nfrom shop import billing\nmock.patch.object(billing, "stripe_client").start()', head: "AttributeError" },
    ],
  },
  {
    name: "a re-exported class moved under `if TYPE_CHECKING:`",
    base: { ...BASE, "shop/billing.py": "from shop.payments import Gateway\n\n\ndef gateway() -> Gateway:\n    return Gateway()\n", "shop/views.py": "from shop.billing import Gateway\n" },
    head: {
      "shop/billing.py": 'from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from shop.payments import Gateway\n\n\ndef gateway() -> "Gateway":\n    from shop.payments import Gateway\n\n    return Gateway()\n',
    },
    expect: [`${RULE} shop/views.py:1 warn`],
    python: [{ code: "import shop.views", head: "ImportError" }],
  },
  {
    name: "bound only when a function declaring it global runs (a lazy cache)",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: { "shop/billing.py": "def _load():\n    global stripe_client\n    from shop.payments import stripe_client\n\n\ndef charge(total):\n    _load()\n    return stripe_client(), total\n" },
    expect: [`${RULE} shop/tests/test_billing.py:6 warn`, `${RULE} shop/views.py:1 warn`],
    python: [{ code: "import shop.views", head: "ImportError" }],
    check: (r) => expect(r.findings[0].message).toContain("only when a function declaring it `global` runs (shop/billing.py:3)"),
  },
  {
    name: "a module __getattr__ that does not spell the name: reported as uncertain",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: { "shop/billing.py": DEFERRED + "\n\ndef __getattr__(name):\n    raise AttributeError(name)\n" },
    expect: [`${RULE} shop/tests/test_billing.py:6 message`, `${RULE} shop/views.py:1 message`],
    check: (r) => expect(r.findings[0].message).toContain("unless the module's `__getattr__` (shop/billing.py:7) returns it"),
  },
  {
    name: "a star import of a module outside the repository: reported as uncertain",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: { "shop/billing.py": "from json import *  # noqa: F403\n\n\n" + DEFERRED },
    expect: [`${RULE} shop/tests/test_billing.py:6 message`, `${RULE} shop/views.py:1 message`],
    check: (r) => expect(r.findings[0].message).toContain("unless `from json import *` (shop/billing.py:1) binds it"),
  },
  {
    name: "a __getattr__ serves the imports, but the test's patch no longer reaches the deferred code",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: {
      "shop/billing.py": DEFERRED + '\n\ndef __getattr__(name):\n    if name == "stripe_client":\n        from shop.payments import stripe_client\n\n        return stripe_client\n    raise AttributeError(name)\n',
    },
    expect: [`${RULE} shop/tests/test_billing.py:6 warn`],
    python: [
      { code: "import shop.views", head: "ok" },
      { code: 'from unittest import mock\nimport shop.billing\nwith mock.patch("shop.billing.stripe_client") as m:\n    shop.billing.charge(1)\nassert m.called, "the mock was not used"', head: "AssertionError" },
    ],
    check: (r) => expect(r.findings[0].message).toContain("the mock is never used"),
  },
  {
    name: "an import inside try/except ImportError elsewhere: the fallback now always runs",
    base: { ...BASE, "shop/compat.py": "try:\n    from shop.billing import stripe_client\nexcept ImportError:\n    stripe_client = None\n" },
    head: { "shop/billing.py": DEFERRED },
    expect: [`${RULE} shop/compat.py:2 warn`, `${RULE} shop/tests/test_billing.py:6 warn`],
    python: [{ code: "import shop.compat\nassert shop.compat.stripe_client is not None", head: "AssertionError" }],
    check: (r) => expect(r.findings.find((f) => f.file === "shop/compat.py")?.message).toContain("the fallback now always runs instead"),
  },
];

const valid: Case[] = [
  {
    name: "an import deferred that nothing else refers to",
    base: { ...BASE, "shop/tests/test_billing.py": "from shop.billing import charge\n\n\ndef test_charge():\n    assert charge(1)\n" },
    head: { "shop/billing.py": DEFERRED },
    expect: [],
  },
  {
    name: "deferred, with a PEP 562 __getattr__ keeping the old import working",
    base: { ...BASE, "shop/tests/test_billing.py": "", "shop/views.py": "from shop.billing import stripe_client\n" },
    head: {
      "shop/billing.py": DEFERRED + '\n\ndef __getattr__(name):\n    if name == "stripe_client":\n        from shop.payments import stripe_client\n\n        return stripe_client\n    raise AttributeError(name)\n',
    },
    expect: [],
    python: [{ code: "import shop.views", head: "ok" }],
  },
  {
    name: "still bound in a try/except fallback and an else branch",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client, Gateway\n" },
    head: {
      "shop/billing.py":
        "import sys\n\ntry:\n    from shop.payments import stripe_client\nexcept ImportError:\n    stripe_client = None\nif sys.version_info < (3,):\n    Gateway = None\nelse:\n    from shop.payments import Gateway\n\n\ndef charge(total):\n    return stripe_client(), total\n",
    },
    expect: [],
  },
  {
    name: "a package stops importing its submodule: `from pkg import sub` still imports it",
    base: {
      ...BASE,
      "shop/lib/__init__.py": "from . import helpers\n",
      "shop/lib/helpers.py": "def fmt(x):\n    return str(x)\n",
      "shop/views.py": 'from unittest import mock\n\nfrom shop.lib import helpers\n\nPATCH = mock.patch("shop.lib.helpers.fmt")\n',
    },
    head: { "shop/lib/__init__.py": "" },
    expect: [],
    python: [{ code: "import shop.views\nshop.views.PATCH.start()", head: "ok" }],
  },
  {
    name: "a star import from a repository module that exports the name",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: { "shop/billing.py": "from shop.payments import *  # noqa: F403\n\n\ndef charge(total):\n    return stripe_client(), total\n" },
    expect: [],
    python: [{ code: "import shop.views", head: "ok" }],
  },
  {
    name: "every reference moved to the new home with the deferral",
    base: { ...BASE, "shop/views.py": "from shop.billing import stripe_client\n" },
    head: {
      "shop/billing.py": DEFERRED,
      "shop/views.py": "from shop.payments import stripe_client\n",
      "shop/tests/test_billing.py": TEST.replace("shop.billing.stripe_client", "shop.payments.stripe_client"),
    },
    expect: [],
  },
];

describeRule(RULE, invalid, valid);

/** The tree at the head: the base with the case's writes and deletes. */
function headTree(c: Case): Record<string, string> {
  const out = { ...c.base };
  for (const [p, text] of Object.entries(c.head ?? {})) {
    if (text === null) delete out[p];
    else out[p] = text;
  }
  return out;
}

/** Runs `code` under CPython with `tree` first on sys.path: "ok", or the exception's class name. */
function runPython(tree: Record<string, string>, code: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deferred-oracle-"));
  try {
    for (const [p, text] of Object.entries(tree)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), text);
    }
    const wrapped = `import sys\nsys.path.insert(0, ${JSON.stringify(dir)})\ntry:\n    exec(compile(${JSON.stringify(code)}, "<case>", "exec"), {})\nexcept Exception as e:\n    print(type(e).__name__ if not isinstance(e, ImportError) else "ImportError")\nelse:\n    print("ok")\n`;
    const res = spawnSync(PYTHON, ["-B", "-I", "-c", wrapped], { encoding: "utf8" });
    if (res.status !== 0) throw new Error(res.stderr);
    return res.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("CPython agrees: each reference works at the base and fails (or works) at the head as the case says", () => {
  const withPython = [...invalid, ...valid].filter((c) => c.python !== undefined);
  test.each(withPython.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    for (const p of c.python ?? []) {
      expect({ code: p.code, base: runPython(c.base, p.code) }).toEqual({ code: p.code, base: "ok" });
      expect({ code: p.code, head: runPython(headTree(c), p.code) }).toEqual({ code: p.code, head: p.head });
    }
  });
});
