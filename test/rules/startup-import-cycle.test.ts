import * as fs from "node:fs";
import * as path from "node:path";
import { djangoSetup, type Setup } from "../helpers/django-setup";
import { cleanupRepos, tempDir } from "../helpers/git-repo";
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

/** The first request: proj.urls is the URLconf; shop.urls (included) imports api first, so the cycle works. */
const URLS = {
  ...DJANGO_BASE,
  "proj/settings.py": `${DJANGO_BASE["proj/settings.py"]}ROOT_URLCONF = "proj.urls"\n`,
  "proj/urls.py": 'from django.urls import include, path\n\nurlpatterns = [\n    path("shop/", include("shop.urls")),\n]\n',
  "shop/api.py": API,
  "shop/workflows.py": WORKFLOWS,
  "shop/urls.py": "from shop import api  # noqa: F401\n\nurlpatterns = []\n",
};
/** shop.urls imports workflows first: its import back from api raises, at the first request only. */
const WORKFLOWS_FIRST = { "shop/urls.py": "from shop.workflows import SlackWorkflow  # noqa: F401\n\nurlpatterns = []\n" };
/** The URLconf includes two URLconfs, one importing api, the other workflows: the cycle works only in this include order. */
const API_URLS = '    path("a/", include("shop.api_urls")),\n';
const FLOW_URLS = '    path("b/", include(("shop.flow_urls", "b"), namespace="b")),\n';
const twoIncludes = (...lines: string[]) => `from django.urls import include, path\n\nurlpatterns = [\n${lines.join("")}]\n`;
const { "shop/urls.py": _urls, ...URLS_WITHOUT_SHOP_URLS } = URLS;
const INCLUDES = {
  ...URLS_WITHOUT_SHOP_URLS,
  "proj/urls.py": twoIncludes(API_URLS, FLOW_URLS),
  "shop/api_urls.py": "from shop import api  # noqa: F401\n\nurlpatterns = []\n",
  "shop/flow_urls.py": 'from shop import workflows  # noqa: F401\n\napp_name = "b"\nurlpatterns = []\n',
};
const INCLUDES_SWAPPED = { "proj/urls.py": twoIncludes(FLOW_URLS, API_URLS) };

/** The files of a tree (null: absent) written to a fresh directory. */
function materialise(...layers: Record<string, string | null>[]): string {
  const dir = tempDir("dsg-cycle-");
  for (const [p, content] of Object.entries(Object.assign({}, ...layers) as Record<string, string | null>)) {
    if (content === null) continue;
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), content);
  }
  return dir;
}

/** The oracle: a real django.setup() on the tree, then (with `firstRequest`) import_module(settings.ROOT_URLCONF) as the first request does. */
function real(firstRequest: boolean, ...layers: Record<string, string | null>[]): Setup {
  const dir = materialise(...layers);
  return djangoSetup({ settings: "proj.settings", firstParty: [[dir, ""]], path: [dir], cwd: dir, firstRequest });
}

/** Real CPython: setup succeeds at base and head; the first request succeeds at base and raises `message` at head. */
function provenAtFirstRequest(base: Record<string, string | null>, head: Record<string, string | null>, message: string): void {
  expect(real(true, base).firstRequest?.has("shop.workflows")).toBe(true);
  expect(real(false, base, head).firstParty.has("shop.workflows")).toBe(false);
  expect(() => real(true, base, head)).toThrow(`ImportError: ${message}`);
}

const FIRST_REQUEST_ERROR = "cannot import name 'SlackWorkflow' from partially initialized module 'shop.workflows' (most likely due to a circular import)";

const invalid: ReviewCase[] = [
  {
    name: "first request: the URLconf's include now imports workflows first (setup itself succeeds)",
    base: URLS,
    head: WORKFLOWS_FIRST,
    expect: [`${RULE} shop/urls.py:1 warn`],
    check: (r) => {
      const f = r.findings[0];
      expect(f.message).toContain("Importing the URLconf proj.urls now raises ImportError at the first request in web processes (setup itself succeeds), at shop/api.py:5");
      expect(f.details?.[1]).toContain("phase: the first request (importing the URLconf proj.urls after django.setup() succeeded)");
      expect(f.chain?.map((l) => `${l.module}:${l.line ?? "-"}`)).toEqual(["proj.urls:-", "shop.urls:4", "shop.workflows:1", "shop.api:1", "shop.workflows:5"]);
      expect(f.details?.join("\n")).toContain("order of first imports at base: proj.urls → shop.urls (proj/urls.py:4) → shop.api (shop/urls.py:1) (shop.api was imported before shop.workflows");
      provenAtFirstRequest(URLS, WORKFLOWS_FIRST, FIRST_REQUEST_ERROR);
    },
  },
  {
    name: "first request: the URLconf's include() calls swap order, so workflows' URLconf runs first",
    base: INCLUDES,
    head: INCLUDES_SWAPPED,
    // Anchored at the include() the change put first.
    expect: [`${RULE} proj/urls.py:4 warn`],
    check: (r) => {
      expect(r.findings[0].message).toContain("raises ImportError at the first request in web processes (setup itself succeeds)");
      expect(r.findings[0].chain?.map((l) => l.module)).toEqual(["proj.urls", "shop.flow_urls", "shop.workflows", "shop.api", "shop.workflows"]);
      provenAtFirstRequest(INCLUDES, INCLUDES_SWAPPED, FIRST_REQUEST_ERROR);
    },
  },
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
    name: "first request: setup already imported api (sys.modules as setup left it), so the URLconf importing workflows first works",
    base: URLS,
    head: { ...WORKFLOWS_FIRST, "shop/models.py": models("from shop import api  # noqa: F401") },
    expect: [],
    check: () => {
      expect(real(true, URLS, WORKFLOWS_FIRST, { "shop/models.py": models("from shop import api  # noqa: F401") }).firstParty.has("shop.workflows")).toBe(true);
    },
  },
  {
    name: "first request: a cycle that already raises at the base's first request is not the change's doing",
    base: { ...URLS, ...WORKFLOWS_FIRST },
    head: { "shop/urls.py": `# the shop's URLs\n${WORKFLOWS_FIRST["shop/urls.py"]}` },
    expect: [],
  },
  {
    name: "first request: the include() order that imports api first",
    base: INCLUDES,
    head: { "proj/urls.py": `# the project's URLs\n${INCLUDES["proj/urls.py"]}` },
    expect: [],
    check: () => {
      expect(real(true, INCLUDES).firstRequest?.has("shop.workflows")).toBe(true);
    },
  },
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
