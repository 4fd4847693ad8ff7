/**
 * A tiny stand-in for api.github.com, enough for src/source/github.ts: pull requests, their
 * files (paginated with Link headers, capped like GitHub), repository contents (base64, with
 * GitHub's "no content over 1 MB" behaviour), blobs and recursive trees. Plus failure modes:
 * a primary or secondary rate limit, N failures before success, a required token, and broken
 * answers (`broken`: 404, truncated JSON, a 200 HTML page, `null`, or no answer at all).
 *
 * Listens on 127.0.0.1 on a random port; every request is logged for assertions. Call
 * `close()` in afterAll.
 */

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakePullFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  previous_filename?: string;
  patch?: string;
  additions?: number;
  deletions?: number;
  changes?: number;
}

export interface FakePull {
  base: string;
  head: string;
  files: FakePullFile[];
  /** What `pulls.get` reports as `changed_files`; defaults to `files.length`. */
  changedFiles?: number;
}

export interface FakeGitHubConfig {
  owner: string;
  repo: string;
  pulls: Record<number, FakePull>;
  /** sha -> path -> contents. */
  revisions: Record<string, Record<string, string | Buffer>>;
  /** `base...head` -> merge base sha for the compare endpoint (default: the base itself). */
  mergeBases?: Record<string, string>;
  /** Trees answered with `truncated: true` (the listing is still complete). */
  truncatedTrees?: string[];
  /** The contents endpoint gives no content for files over this size. Default 1 MB (GitHub). */
  contentsInlineLimit?: number;
  /** GitHub stops the files list at 3,000 entries. */
  listCap?: number;
  /** When set, requests must carry `authorization: token <token>` (or Bearer), else 401. */
  token?: string;
  /** Answer matching requests with a rate-limit error. */
  rateLimit?: {
    match: RegExp;
    /** Epoch seconds, sent as x-ratelimit-reset. */
    reset: number;
    /** Secondary limit: remaining stays > 0, message says "secondary rate limit", retry-after sent. */
    secondary?: boolean;
    retryAfter?: number;
    status?: 403 | 429;
    /** Only the first `times` matching requests are limited (default: all). */
    times?: number;
  };
  /**
   * Answer matching requests badly: `not-found` (404), `truncated-json` (200, JSON cut in
   * half), `html` (200 text/html, as a proxy's error page), `null` (200, the JSON `null`),
   * `hang` (never answer). The first `times` matching requests (default: all).
   */
  broken?: Array<{ match: RegExp; answer: "not-found" | "truncated-json" | "html" | "null" | "hang"; times?: number }>;
  /** Answer the first `times` matching requests with `status` (default 500). */
  failures?: Array<{ match: RegExp; times: number; status?: number }>;
  /** Delay every answer by this many ms (to observe concurrency). */
  delayMs?: number;
}

export interface FakeGitHub {
  baseUrl: string;
  /** `METHOD /path?query` of every request, in arrival order. */
  requests: string[];
  /** Most requests seen in flight at once since the last reset. */
  maxInFlight: number;
  /** Replace the configuration (keeps the server); clears the log and failure counters. */
  configure(config: FakeGitHubConfig): void;
  close(): Promise<void>;
}

/** Git's blob id for these bytes. */
export function gitBlobSha(content: Buffer): string {
  return createHash("sha1")
    .update(`blob ${content.length}\0`)
    .update(content)
    .digest("hex");
}

const MAX_REQUESTS = 20_000;
const DOCS = "https://docs.github.com/rest";

function toBuffer(v: string | Buffer): Buffer {
  return typeof v === "string" ? Buffer.from(v, "utf8") : v;
}

/** Base64 wrapped at 60 columns, as GitHub sends it. */
function wrappedBase64(buf: Buffer): string {
  return (buf.toString("base64").match(/.{1,60}/g) ?? []).join("\n") + (buf.length ? "\n" : "");
}

export async function startFakeGitHub(initial: FakeGitHubConfig): Promise<FakeGitHub> {
  let config = initial;
  let failureCounts: number[] = [];
  let brokenCounts: number[] = [];
  let rateLimited = 0;
  let inFlight = 0;
  let total = 0;

  const state: FakeGitHub = {
    baseUrl: "",
    requests: [],
    maxInFlight: 0,
    configure(next) {
      config = next;
      failureCounts = [];
      brokenCounts = [];
      rateLimited = 0;
      state.requests.length = 0;
      state.maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      ...headers,
    });
    res.end(text);
  }

  function notFound(res: ServerResponse): void {
    send(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
  }

  function blobsBySha(): Map<string, Buffer> {
    const map = new Map<string, Buffer>();
    for (const files of Object.values(config.revisions)) {
      for (const content of Object.values(files)) {
        const buf = toBuffer(content);
        map.set(gitBlobSha(buf), buf);
      }
    }
    return map;
  }

  function route(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const line = `${req.method} ${url.pathname}${url.search}`;

    if (config.token !== undefined) {
      const auth = req.headers.authorization ?? "";
      if (auth !== `token ${config.token}` && auth !== `bearer ${config.token}` && auth !== `Bearer ${config.token}`) {
        send(res, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
        return;
      }
    }

    const broken = config.broken ?? [];
    for (let i = 0; i < broken.length; i++) {
      const b = broken[i];
      if (!b.match.test(line) || (b.times !== undefined && (brokenCounts[i] ?? 0) >= b.times)) continue;
      brokenCounts[i] = (brokenCounts[i] ?? 0) + 1;
      if (b.answer === "hang") return; // the response is never written (closed by close())
      if (b.answer === "not-found") return notFound(res);
      if (b.answer === "null") return send(res, 200, null);
      if (b.answer === "html") {
        const html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>\n";
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": String(Buffer.byteLength(html)) });
        res.end(html);
        return;
      }
      const json = '{"type":"file","encoding":"base64","size":120,"name":"models.py","content":"aW1wb3J0IG51';
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(json)) });
      res.end(json);
      return;
    }

    const rl = config.rateLimit;
    if (rl && rl.match.test(line) && (rl.times === undefined || rateLimited++ < rl.times)) {
      if (rl.secondary) {
        send(
          res,
          rl.status ?? 403,
          {
            message:
              "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            documentation_url: DOCS,
          },
          { "retry-after": String(rl.retryAfter ?? 60), "x-ratelimit-remaining": "4000" },
        );
      } else {
        send(
          res,
          rl.status ?? 403,
          {
            message: "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit.)",
            documentation_url: DOCS,
          },
          {
            "x-ratelimit-limit": "60",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "60",
            "x-ratelimit-reset": String(rl.reset),
          },
        );
      }
      return;
    }

    const failures = config.failures ?? [];
    for (let i = 0; i < failures.length; i++) {
      const f = failures[i];
      if (f.match.test(line) && (failureCounts[i] ?? 0) < f.times) {
        failureCounts[i] = (failureCounts[i] ?? 0) + 1;
        send(res, f.status ?? 500, { message: "Server Error" });
        return;
      }
    }

    if (req.method !== "GET") {
      send(res, 405, { message: "Method Not Allowed" });
      return;
    }

    const prefix = `/repos/${config.owner}/${config.repo}/`;
    if (!url.pathname.startsWith(prefix)) return notFound(res);
    const rest = url.pathname.slice(prefix.length);

    let m: RegExpExecArray | null;
    if ((m = /^pulls\/(\d+)$/.exec(rest))) {
      const pr = config.pulls[Number(m[1])];
      if (!pr) return notFound(res);
      return send(res, 200, {
        number: Number(m[1]),
        state: "open",
        changed_files: pr.changedFiles ?? pr.files.length,
        base: { ref: "main", sha: pr.base },
        head: { ref: "feature", sha: pr.head },
      });
    }

    if ((m = /^compare\/([^/]+)\.\.\.([^/]+)$/.exec(rest))) {
      const key = `${m[1]}...${m[2]}`;
      return send(res, 200, { status: "ahead", merge_base_commit: { sha: config.mergeBases?.[key] ?? m[1] }, commits: [], files: [] });
    }

    if ((m = /^pulls\/(\d+)\/files$/.exec(rest))) {
      const n = Number(m[1]);
      const pr = config.pulls[n];
      if (!pr) return notFound(res);
      const perPage = Math.min(Math.max(Number(url.searchParams.get("per_page") ?? 30) || 30, 1), 100);
      const page = Math.max(Number(url.searchParams.get("page") ?? 1) || 1, 1);
      const listed = pr.files.slice(0, config.listCap ?? 3000);
      const lastPage = Math.max(1, Math.ceil(listed.length / perPage));
      const items = listed.slice((page - 1) * perPage, page * perPage).map((f) => ({
        sha: "0".repeat(40),
        additions: 0,
        deletions: 0,
        changes: 0,
        blob_url: `https://github.com/${config.owner}/${config.repo}/blob/${pr.head}/${f.filename}`,
        ...f,
      }));
      const pageUrl = (p: number): string =>
        `${state.baseUrl}${url.pathname}?per_page=${perPage}&page=${p}`;
      const links: string[] = [];
      if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
      if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
      return send(res, 200, items, links.length ? { link: links.join(", ") } : {});
    }

    if ((m = /^contents\/(.+)$/.exec(rest))) {
      const path = decodeURIComponent(m[1]).replace(/\/+$/, "");
      const ref = url.searchParams.get("ref") ?? "";
      const files = config.revisions[ref];
      if (!files) return notFound(res);
      const content = files[path];
      if (content === undefined) {
        const children = Object.keys(files).filter((p) => p.startsWith(path + "/"));
        if (children.length === 0) return notFound(res);
        const names = [...new Set(children.map((p) => p.slice(path.length + 1).split("/")[0]))];
        return send(
          res,
          200,
          names.map((name) => ({ type: files[`${path}/${name}`] !== undefined ? "file" : "dir", name, path: `${path}/${name}` })),
        );
      }
      const buf = toBuffer(content);
      const inline = buf.length <= (config.contentsInlineLimit ?? 1024 * 1024);
      return send(res, 200, {
        type: "file",
        name: path.split("/").pop(),
        path,
        size: buf.length,
        sha: gitBlobSha(buf),
        encoding: inline ? "base64" : "none",
        content: inline ? wrappedBase64(buf) : "",
      });
    }

    if ((m = /^git\/blobs\/([0-9a-f]{40})$/.exec(rest))) {
      const buf = blobsBySha().get(m[1]);
      if (!buf) return notFound(res);
      return send(res, 200, { sha: m[1], size: buf.length, encoding: "base64", content: wrappedBase64(buf) });
    }

    if ((m = /^git\/trees\/([^/]+)$/.exec(rest))) {
      const files = config.revisions[m[1]];
      if (!files) return notFound(res);
      const recursive = url.searchParams.has("recursive");
      const dirs = new Set<string>();
      const tree: Array<Record<string, unknown>> = [];
      for (const [path, content] of Object.entries(files)) {
        const parts = path.split("/");
        if (!recursive && parts.length > 1) {
          dirs.add(parts[0]);
          continue;
        }
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
        const buf = toBuffer(content);
        tree.push({ path, mode: "100644", type: "blob", sha: gitBlobSha(buf), size: buf.length });
      }
      for (const d of dirs) tree.push({ path: d, mode: "040000", type: "tree", sha: "f".repeat(40) });
      tree.sort((a, b) => String(a.path).localeCompare(String(b.path)));
      return send(res, 200, { sha: m[1], tree, truncated: (config.truncatedTrees ?? []).includes(m[1]) });
    }

    return notFound(res);
  }

  const server: Server = createServer((req, res) => {
    total++;
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    // Drain any body; we only speak GET.
    req.resume();
    const answer = (): void => {
      if (total > MAX_REQUESTS) {
        send(res, 500, { message: "fake-github: request budget exhausted (runaway loop?)" });
        return;
      }
      try {
        route(req, res, url);
      } catch (e) {
        send(res, 500, { message: `fake-github crashed: ${String(e)}` });
      }
    };
    if (config.delayMs) setTimeout(answer, config.delayMs);
    else answer();
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 1_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;
  return state;
}
