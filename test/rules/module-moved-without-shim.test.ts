import { cleanupRepos } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase } from "../helpers/rule-tester";

afterAll(cleanupRepos);

const RULE = "module-moved-without-shim";
const EXC = "class OrderError(Exception):\n    pass\n\n\nclass OrderTimeout(OrderError):\n    pass\n";
const BASE: Record<string, string> = {
  ...DJANGO_BASE,
  "shop/temporal/__init__.py": "from .workflows import *  # noqa: F401,F403\n",
  "shop/temporal/workflows.py": "from shop.temporal.exceptions import OrderError\n\n\ndef run():\n    raise OrderError()\n",
  "shop/temporal/exceptions.py": EXC,
  "shop/tests/__init__.py": "",
  "shop/tests/test_orders.py":
    'from unittest import mock\n\nfrom shop.temporal.exceptions import OrderTimeout\n\n\n@mock.patch("shop.temporal.exceptions.OrderError")\ndef test_timeout(m):\n    assert OrderTimeout\n',
  "shop/views.py": "def view():\n    from shop.temporal.exceptions import OrderError\n\n    return OrderError\n",
};
const MOVED_WORKFLOWS = "from shop.exceptions import OrderError\n\n\ndef run():\n    raise OrderError()\n";

const invalid: ReviewCase[] = [
  {
    name: "exceptions module moved; a test import, a mock.patch string and a function-level import still point at the old path",
    base: BASE,
    renames: [["shop/temporal/exceptions.py", "shop/exceptions.py"]],
    head: { "shop/temporal/workflows.py": MOVED_WORKFLOWS },
    expect: [`${RULE} shop/tests/test_orders.py:3 warn`, `${RULE} shop/tests/test_orders.py:6 warn`, `${RULE} shop/views.py:2 warn`],
    check: (r) => {
      const f = r.findings.find((x) => x.file === "shop/views.py");
      expect(f?.message).toContain("inside view()");
      expect(f?.fixCode).toEqual({
        path: "shop/temporal/exceptions.py",
        language: "python",
        code: expect.stringContaining("from shop.exceptions import (  # noqa: F401\n    OrderError,\n    OrderTimeout,\n)"),
      });
    },
  },
  {
    name: "a settings string still names a moved middleware module",
    base: { ...DJANGO_BASE, "proj/settings.py": DJANGO_BASE["proj/settings.py"] + 'MIDDLEWARE = ["shop.middleware.TimingMiddleware"]\n', "shop/middleware.py": "class TimingMiddleware:\n    pass\n" },
    renames: [["shop/middleware.py", "shop/http/middleware.py"]],
    head: { "shop/http/__init__.py": "" },
    expect: [`${RULE} proj/settings.py:5 warn`],
  },
  {
    name: "an exceptions module relocated with every reference updated still needs a shim for the outside world",
    base: { ...DJANGO_BASE, "shop/temporal/__init__.py": "", "shop/temporal/exceptions.py": EXC, "shop/temporal/workflows.py": "from shop.temporal.exceptions import OrderError\n" },
    renames: [["shop/temporal/exceptions.py", "shop/exceptions.py"]],
    head: { "shop/temporal/workflows.py": "from shop.exceptions import OrderError\n" },
    expect: [`${RULE} shop/exceptions.py:- warn`],
  },
];

const valid: ReviewCase[] = [
  {
    name: "moved with a shim left at the old path",
    base: BASE,
    renames: [["shop/temporal/exceptions.py", "shop/exceptions.py"]],
    head: { "shop/temporal/exceptions.py": "from shop.exceptions import OrderError, OrderTimeout  # noqa: F401\n", "shop/temporal/workflows.py": MOVED_WORKFLOWS },
    expect: [],
  },
  {
    name: "a module deleted with its feature, nothing pointing at it",
    base: { ...DJANGO_BASE, "shop/legacy.py": "def old():\n    pass\n" },
    head: { "shop/legacy.py": null },
    expect: [],
  },
  {
    name: "an ordinary module moved with every reference updated",
    base: { ...DJANGO_BASE, "shop/helpers.py": "def h():\n    pass\n", "shop/views.py": "from shop.helpers import h\n" },
    renames: [["shop/helpers.py", "shop/lib/helpers.py"]],
    head: { "shop/lib/__init__.py": "", "shop/views.py": "from shop.lib.helpers import h\n" },
    expect: [],
  },
];

describeRule(RULE, invalid, valid);

test("a second review, served from the scan cache, finds the same references", async () => {
  const { committedRepo } = await import("../helpers/git-repo");
  const { gitChangeSet } = await import("../../src/source/git");
  const { review } = await import("../../src/review/review");
  const repo = committedRepo(BASE);
  repo.git("checkout", "-q", "-b", "pr");
  repo.mv("shop/temporal/exceptions.py", "shop/exceptions.py");
  repo.write("shop/temporal/workflows.py", MOVED_WORKFLOWS);
  repo.commit("pr");
  const once = async () => {
    const cs = await gitChangeSet({ repo: repo.dir, base: "main", head: "pr" });
    try {
      return (await review({ changeSet: cs })).findings.map((f) => `${f.file}:${f.line}`).sort();
    } finally {
      await cs.close?.();
    }
  };
  const cold = await once();
  const warm = await once();
  expect(cold).toEqual(["shop/tests/test_orders.py:3", "shop/tests/test_orders.py:6", "shop/views.py:2"]);
  expect(warm).toEqual(cold);
});
