import { cleanupRepos } from "../helpers/git-repo";
import { DJANGO_BASE, describeRule, type ReviewCase } from "../helpers/rule-tester";

afterAll(cleanupRepos);

const RULE = "startup-import-cycle";
const MODELS = DJANGO_BASE["shop/models.py"];
/** api binds send_message before importing workflows; workflows imports send_message back: works only with api imported first. */
const API = "def send_message(channel, text):\n    return (channel, text)\n\n\nfrom shop.workflows import SlackWorkflow  # noqa: E402\n\n\ndef start():\n    return SlackWorkflow().run()\n";
const WORKFLOWS = "from shop.api import send_message\n\n\nclass SlackWorkflow:\n    def run(self):\n        return send_message(1, 2)\n";
/** shop/models.py with `lines` first. */
const models = (...lines: string[]) => `${lines.join("\n")}\n${MODELS}`;
/** At the base, the app's package imports its urls (which import api) before Django imports its models (which import workflows). */
const CYCLE = {
  ...DJANGO_BASE,
  "shop/__init__.py": "from shop import urls\n",
  "shop/api.py": API,
  "shop/workflows.py": WORKFLOWS,
  "shop/urls.py": "from shop import api\n",
  "shop/models.py": models("from shop.workflows import SlackWorkflow"),
};
/** The change that drops the eager import. */
const LAZY = { "shop/__init__.py": "" };

const invalid: ReviewCase[] = [
  {
    name: "the eager import that put api first is removed: workflows is imported first and its import back from api raises",
    base: CYCLE,
    head: LAZY,
    // Anchored where the change removed the eager import.
    expect: [`${RULE} shop/__init__.py:1 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("ImportError at shop/api.py:5 (`from shop.workflows import SlackWorkflow`)");
      expect(f.details?.[0]).toBe("ImportError: cannot import name 'SlackWorkflow' from partially initialized module 'shop.workflows' (most likely due to a circular import) (shop/workflows.py)");
      expect(f.chain?.map((l) => `${l.module}:${l.line ?? "-"}`)).toEqual(["shop:-", "shop.models:-", "shop.workflows:1", "shop.api:1", "shop.workflows:5"].slice(1));
      expect(f.details?.join("\n")).toContain("order of first imports at base: shop → shop.urls (shop/__init__.py:1) → shop.api (shop/urls.py:1)");
      expect(f.fixCode?.code).toContain("def start(...):\n    from shop.workflows import SlackWorkflow");
    },
  },
  {
    name: "a new module-scope import closes a cycle in the wrong order: reported at the added line",
    base: { ...DJANGO_BASE, "shop/models.py": models("from shop.util import fmt") },
    head: { "shop/util.py": "from shop.models import Order\n\n\ndef fmt(x):\n    return str(x)\n" },
    expect: [`${RULE} shop/util.py:1 warn`],
    check: (r) => {
      expect(r.findings[0].details?.join("\n")).toContain("cannot import name 'Order' from partially initialized module 'shop.models'");
      expect(r.findings[0].inDiff).toBe(true);
    },
  },
  {
    name: "severity from the configuration",
    base: CYCLE,
    head: LAZY,
    options: { rules: { [RULE]: "fail" } },
    expect: [`${RULE} shop/__init__.py:1 fail`],
  },
];

const valid: ReviewCase[] = [
  {
    name: "the cycle works in the order setup imports it (api first)",
    base: { ...CYCLE, "shop/models.py": MODELS },
    head: { "shop/models.py": models("from shop.workflows import SlackWorkflow") },
    expect: [],
  },
  {
    name: "a cycle that already raises at the base is not the change's doing",
    base: { ...CYCLE, ...LAZY },
    head: { "shop/models.py": models("from shop.workflows import SlackWorkflow", "X = 1") },
    expect: [],
  },
  {
    name: "the name is bound by an assignment before the import that re-enters the module",
    base: { ...CYCLE, "shop/workflows.py": "SlackWorkflow = object\nfrom shop.api import send_message  # noqa: E402\n" },
    head: { ...LAZY, "shop/api.py": "from shop.workflows import SlackWorkflow\n\n\ndef send_message(channel, text):\n    return (channel, text)\n" },
    expect: [],
  },
  {
    name: "the cycle's import is deferred into the function that uses it",
    base: CYCLE,
    head: { ...LAZY, "shop/workflows.py": "class SlackWorkflow:\n    def run(self):\n        from shop.api import send_message\n\n        return send_message(1, 2)\n" },
    expect: [],
  },
  {
    name: "the failing import is inside try: an except clause may catch it (not certain)",
    base: CYCLE,
    head: { ...LAZY, "shop/workflows.py": "try:\n    from shop.api import send_message\nexcept ImportError:\n    send_message = None\n\n\nclass SlackWorkflow:\n    pass\n" },
    expect: [],
  },
  {
    name: "a pragma on the reported line silences it",
    base: CYCLE,
    head: { "shop/__init__.py": "# startup-guard: allow startup-import-cycle -- the cycle is broken in the next change\n" },
    expect: [],
  },
];

describeRule(RULE, invalid, valid);
