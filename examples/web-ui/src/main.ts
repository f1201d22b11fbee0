// The registry browser: connect, repositories, tags, tag detail, delete.
// Everything it knows about the registry comes from the `ocireg` package.

import type { RegistryClient } from "ocireg";
import type { Descriptor, ImageSummary, Manifest, PlatformSummary } from "ocireg";
import { command, copyButton, h, replace, toast } from "./dom.js";
import { errorBox, explain, type Context } from "./errors.js";
import { bytes, date, isReferrersTag, naturalCompare, platformName, registryHost, shortDigest } from "./format.js";
import { VirtualList } from "./vlist.js";

// ---------------------------------------------------------------------------
// Session: the client and its credentials live in memory only (a reload or a
// closed tab forgets them); sessionStorage keeps the URL for convenience.

type AuthMode = "none" | "basic" | "token";

interface Session {
  client: RegistryClient;
  url: string;
  host: string;
  auth: AuthMode;
  username?: string;
  /** Set once the registry answered a delete with 405 UNSUPPORTED. */
  deleteDisabled?: string;
}

let session: Session | null = null;
// The package (and its wasm) loads while the page is already usable.
const pkg = import("ocireg");
let pkgVersion = "";
pkg.then((m) => {
  pkgVersion = m.version();
  if (!session) renderSessionBar();
}, () => {});
const STORE_URL = "ocireg-ui.url";
const STORE_AUTH = "ocireg-ui.auth";
const STORE_USER = "ocireg-ui.user";

const app = document.getElementById("app") as HTMLElement;
const sessionBar = document.getElementById("session") as HTMLElement;

function ctx(action: Context["action"], repository?: string): Context {
  return { url: session?.url ?? "", credentials: session ? session.auth !== "none" : false, action, repository };
}

/** Runs `jobs` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, job: (item: T) => Promise<void>, alive: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && alive()) {
      const item = items[next++];
      await job(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---------------------------------------------------------------------------
// Routing: #/repos, #/repo/<name>, #/repo/<name>/tag/<tag>.

type Route =
  | { view: "connect" }
  | { view: "repos" }
  | { view: "tags"; repo: string }
  | { view: "tag"; repo: string; tag: string };

function parseRoute(): Route {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "repos") return { view: "repos" };
  if (parts[0] === "repo" && parts[1]) {
    if (parts[2] === "tag" && parts[3]) return { view: "tag", repo: parts[1], tag: parts[3] };
    return { view: "tags", repo: parts[1] };
  }
  return { view: "connect" };
}

const hrefRepos = () => "#/repos";
const hrefRepo = (repo: string) => `#/repo/${encodeURIComponent(repo)}`;
const hrefTag = (repo: string, tag: string) => `#/repo/${encodeURIComponent(repo)}/tag/${encodeURIComponent(tag)}`;

/** Bumped on every navigation: async work of an older view stops touching the page. */
let generation = 0;
let pendingRoute: string | null = null;

function render(): void {
  generation++;
  const route = parseRoute();
  closeDialog();
  renderSessionBar();
  if (!session) {
    if (route.view !== "connect") pendingRoute = location.hash;
    void connectView();
    return;
  }
  switch (route.view) {
    case "connect":
    case "repos":
      void reposView();
      break;
    case "tags":
      void tagsView(route.repo);
      break;
    case "tag":
      void tagView(route.repo, route.tag);
      break;
  }
}

function renderSessionBar(): void {
  if (!session) {
    replace(sessionBar, h("span", { class: "muted" }, pkgVersion ? `ocireg ${pkgVersion}` : ""));
    return;
  }
  const who = session.auth === "basic" ? ` as ${session.username}` : session.auth === "token" ? " with a token" : "";
  replace(sessionBar,
    h("span", { class: "connected", "data-testid": "connected" }, h("span", { class: "dot" }), `${session.host}${who}`),
    h("button", { type: "button", class: "ghost", onclick: disconnect }, "Disconnect"),
  );
}

function disconnect(): void {
  session?.client.free();
  session = null;
  repoState = null;
  tagStates.clear();
  sessionStorage.removeItem(STORE_AUTH);
  location.hash = "#/";
  render();
}

// ---------------------------------------------------------------------------
// Connect

async function connect(url: string, auth: AuthMode, username: string, secret: string): Promise<void> {
  const options =
    auth === "basic" ? { url, username, password: secret } :
    auth === "token" ? { url, token: secret } : { url };
  const { RegistryClient } = await pkg;
  const client = new RegistryClient(options);
  const candidate: Session = { client, url: client.url, host: registryHost(url), auth, username: auth === "basic" ? username : undefined };
  session = candidate;
  try {
    await client.ping();
  } catch (e) {
    session = null;
    client.free();
    throw e;
  }
  sessionStorage.setItem(STORE_URL, url);
  sessionStorage.setItem(STORE_AUTH, auth);
  if (auth === "basic") sessionStorage.setItem(STORE_USER, username);
}

async function connectView(error?: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search);
  const savedAuth = (sessionStorage.getItem(STORE_AUTH) as AuthMode | null) ?? "none";
  const url = h("input", {
    id: "registry-url", name: "url", type: "text", required: true, autocomplete: "url", spellcheck: false,
    placeholder: "http://127.0.0.1:5000",
    value: sessionStorage.getItem(STORE_URL) ?? params.get("registry") ?? "",
  });
  const username = h("input", { id: "username", name: "username", type: "text", autocomplete: "username", value: sessionStorage.getItem(STORE_USER) ?? "" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password" });
  const token = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: false });
  const basicFields = h("div", { class: "fields", "data-auth": "basic" },
    h("label", null, "Username", username), h("label", null, "Password", password));
  const tokenFields = h("div", { class: "fields", "data-auth": "token" }, h("label", null, "Bearer token", token));
  const modes: [AuthMode, string][] = [["none", "Anonymous"], ["basic", "Username & password"], ["token", "Token"]];
  const radios = modes.map(([mode, label]) =>
    h("label", { class: "radio" },
      h("input", { type: "radio", name: "auth", value: mode, checked: mode === savedAuth }), label));
  const status = h("div", { class: "form-status" });
  const button = h("button", { type: "submit", class: "primary", id: "connect" }, "Connect");
  const form = h("form", { class: "card connect", "aria-label": "Connect to a registry" },
    h("h1", null, "Connect to a registry"),
    h("p", { class: "muted" }, "Any registry speaking the OCI Distribution API (Docker Registry HTTP API v2) that allows this page's origin with CORS."),
    h("label", null, "Registry URL", url),
    h("fieldset", { class: "auth" }, h("legend", null, "Authentication"), radios),
    basicFields, tokenFields,
    h("p", { class: "note" }, "Credentials stay in this tab's memory for this session only: they are never saved, and a reload forgets them."),
    h("div", { class: "actions" }, button),
    status,
  );
  const sync = () => {
    const mode = (form.querySelector("input[name=auth]:checked") as HTMLInputElement).value;
    basicFields.hidden = mode !== "basic";
    tokenFields.hidden = mode !== "token";
    username.required = password.required = mode === "basic";
    token.required = mode === "token";
  };
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const mode = (form.querySelector("input[name=auth]:checked") as HTMLInputElement).value as AuthMode;
    button.disabled = true;
    replace(status, h("p", { class: "muted" }, "Connecting…"));
    try {
      await connect(url.value.trim(), mode, username.value, mode === "token" ? token.value : password.value);
      const target = pendingRoute ?? hrefRepos();
      pendingRoute = null;
      if (location.hash === target) render();
      else location.hash = target;
    } catch (e) {
      const sessionLike: Context = { url: url.value.trim(), credentials: mode !== "none", action: "connect" };
      replace(status, errorBox(e, sessionLike));
      button.disabled = false;
    }
  });
  replace(app, form, error ?? null);
  url.focus();
}

// ---------------------------------------------------------------------------
// Repositories

interface RepoState {
  repos: string[];
  pages: number;
  complete: boolean;
  error?: unknown;
  loading?: Promise<void>;
  listeners: Set<() => void>;
}

let repoState: RepoState | null = null;
let repoFilter = "";
const PAGE_SIZE = 250;

function loadRepositories(force = false): RepoState {
  if (repoState && !force && !repoState.error) return repoState;
  const state: RepoState = { repos: [], pages: 0, complete: false, listeners: new Set(repoState?.listeners ?? []) };
  repoState = state;
  const client = session!.client;
  state.loading = (async () => {
    let next: string | undefined;
    try {
      do {
        const page = await client.catalogPage({ pageSize: PAGE_SIZE, next });
        if (repoState !== state) return;
        state.repos.push(...page.items);
        state.pages++;
        next = page.next ?? undefined;
        state.listeners.forEach((f) => f());
      } while (next);
      state.complete = true;
    } catch (e) {
      state.error = e;
    }
    state.listeners.forEach((f) => f());
  })();
  return state;
}

function highlight(text: string, terms: string[]): (Node | string)[] {
  if (terms.length === 0) return [text];
  const lower = text.toLowerCase();
  const marks = new Array<boolean>(text.length).fill(false);
  for (const t of terms) {
    for (let i = lower.indexOf(t); i >= 0; i = lower.indexOf(t, i + 1)) marks.fill(true, i, i + t.length);
  }
  const out: (Node | string)[] = [];
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && marks[j] === marks[i]) j++;
    out.push(marks[i] ? h("mark", null, text.slice(i, j)) : text.slice(i, j));
    i = j;
  }
  return out;
}

function openByNameForm(): HTMLElement {
  const input = h("input", { type: "text", name: "repository", placeholder: "team/app", spellcheck: false, "aria-label": "Repository name" });
  return h("form", {
    class: "open-by-name",
    onsubmit: (e: Event) => {
      e.preventDefault();
      if (input.value.trim()) location.hash = hrefRepo(input.value.trim());
    },
  }, h("span", { class: "muted" }, "Open a repository by name:"), input, h("button", { type: "submit" }, "Open"));
}

async function reposView(): Promise<void> {
  const gen = generation;
  const filter = h("input", {
    id: "repo-filter", type: "search", placeholder: "Filter repositories…", value: repoFilter,
    "aria-label": "Filter repositories", autocomplete: "off", spellcheck: false,
  });
  const count = h("span", { class: "count", "data-testid": "repo-count" });
  const progress = h("span", { class: "progress muted", "data-testid": "repo-progress" });
  const refresh = h("button", { type: "button", class: "ghost", onclick: () => { loadRepositories(true); void reposView(); } }, "Refresh");
  const body = h("div", { class: "repo-body" });
  let terms: string[] = [];
  const list = new VirtualList<string>(36, (repo) =>
    h("a", { class: "repo-row", href: hrefRepo(repo), "data-repo": repo },
      h("span", { class: "repo-icon", "aria-hidden": "true" }, "▣"),
      h("span", { class: "repo-name" }, highlight(repo, terms))), "Repositories");
  replace(app,
    h("section", { class: "view repos" },
      h("div", { class: "toolbar" },
        h("h1", null, "Repositories ", count),
        filter, progress, refresh),
      body));

  const state = loadRepositories();
  let shown: string[] = [];
  const update = (resetScroll: boolean) => {
    if (gen !== generation) return;
    terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    shown = terms.length
      ? state.repos.filter((r) => { const l = r.toLowerCase(); return terms.every((t) => l.includes(t)); })
      : state.repos;
    const total = state.repos.length.toLocaleString("en");
    count.textContent = terms.length ? `${shown.length.toLocaleString("en")} of ${total}` : total;
    count.dataset.shown = String(shown.length);
    count.dataset.total = String(state.repos.length);
    progress.textContent = state.complete ? `${state.pages} page${state.pages === 1 ? "" : "s"} loaded` :
      state.error ? "" : `Loading… page ${state.pages + 1}`;
    progress.dataset.complete = String(state.complete);
    if (state.error) {
      replace(body, errorBox(state.error, ctx("list repositories"),
        h("button", { type: "button", onclick: () => { loadRepositories(true); void reposView(); } }, "Try again")),
        openByNameForm());
      return;
    }
    if (state.complete && state.repos.length === 0) {
      replace(body, h("section", { class: "empty-box", "data-testid": "empty-registry" },
        h("h2", null, "This registry has no repositories yet"),
        h("p", null, "Nothing has been pushed to it, or everything was deleted. Push an image, then refresh:"),
        command(`docker push ${session!.host}/my/app:latest`),
        openByNameForm()));
      return;
    }
    if (!body.contains(list.element)) {
      replace(body, list.element,
        h("p", { class: "no-match muted", hidden: true }, "No repository matches the filter."));
    }
    (body.querySelector(".no-match") as HTMLElement).hidden = shown.length > 0 || !state.complete;
    list.setItems(shown, resetScroll);
  };
  filter.addEventListener("input", () => {
    repoFilter = filter.value;
    update(true);
  });
  filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && shown.length > 0) location.hash = hrefRepo(shown[0]);
  });
  const listener = () => {
    if (gen !== generation) state.listeners.delete(listener);
    else update(false);
  };
  state.listeners.add(listener);
  update(false);
  filter.focus();
}

// ---------------------------------------------------------------------------
// Tags

interface TagInfo {
  summary?: ImageSummary;
  error?: unknown;
}

interface TagState {
  tags: string[];
  info: Map<string, TagInfo>;
  complete: boolean;
  error?: unknown;
  listeners: Set<(tag?: string) => void>;
  done: Promise<void>;
}

const tagStates = new Map<string, TagState>();
let tagSort: { key: "name" | "created"; dir: 1 | -1 } = { key: "name", dir: 1 };
let showReferrerTags = false;

function loadTags(repo: string, force = false): TagState {
  const existing = tagStates.get(repo);
  if (existing && !force && !existing.error) return existing;
  const state: TagState = { tags: [], info: new Map(), complete: false, listeners: new Set(existing?.listeners ?? []), done: Promise.resolve() };
  tagStates.set(repo, state);
  const client = session!.client;
  const alive = () => tagStates.get(repo) === state;
  state.done = (async () => {
    try {
      for await (const tag of client.tags(repo)) state.tags.push(tag);
      state.complete = true;
    } catch (e) {
      state.error = e;
    }
    state.listeners.forEach((f) => f());
    // Details, a few at a time; the referrers tag-schema indexes last.
    const order = [...state.tags].sort((a, b) => Number(isReferrersTag(a)) - Number(isReferrersTag(b)));
    await pool(order, 4, async (tag) => {
      try {
        state.info.set(tag, { summary: await client.summary(repo, tag) });
      } catch (e) {
        state.info.set(tag, { error: e });
      }
      if (alive()) state.listeners.forEach((f) => f(tag));
    }, alive);
  })();
  return state;
}

function sortTags(tags: string[], state: TagState): string[] {
  const created = (t: string) => state.info.get(t)?.summary?.created ?? "";
  return [...tags].sort((a, b) => {
    if (tagSort.key === "created") {
      const ca = created(a), cb = created(b);
      if (!ca !== !cb) return ca ? -1 : 1; // unknown dates last, whatever the direction
      const c = ca < cb ? -1 : ca > cb ? 1 : 0;
      if (c !== 0) return c * tagSort.dir;
    }
    return naturalCompare(a, b) * (tagSort.key === "name" ? tagSort.dir : 1);
  });
}

function platformChips(summary: ImageSummary | undefined): HTMLElement {
  const cell = h("span", { class: "chips" });
  if (!summary) return cell;
  const images = summary.platforms.filter((p) => p.platform && !isAttestation(p));
  if (images.length === 0 && summary.platforms[0]?.artifactType) {
    cell.append(h("span", { class: "chip artifact", title: summary.platforms[0].artifactType }, "artifact"));
  }
  for (const p of images) cell.append(h("span", { class: "chip" }, p.platform!));
  const attestations = summary.platforms.filter(isAttestation).length;
  if (attestations) cell.append(h("span", { class: "chip muted" }, `+${attestations} attestation${attestations > 1 ? "s" : ""}`));
  return cell;
}

function isAttestation(p: PlatformSummary): boolean {
  return p.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" || p.platform === "unknown/unknown";
}

function breadcrumb(...items: [string, string | null][]): HTMLElement {
  return h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" },
    items.map(([label, href], i) => [
      i > 0 ? h("span", { class: "sep", "aria-hidden": "true" }, "/") : null,
      href ? h("a", { href }, label) : h("span", { "aria-current": "page" }, label),
    ]));
}

function deleteButton(repo: string, tag: string, compact = false): HTMLButtonElement {
  const disabled = session?.deleteDisabled;
  return h("button", {
    type: "button", class: compact ? "danger ghost small" : "danger", "data-action": "delete", "data-tag": tag,
    disabled: Boolean(disabled), title: disabled ?? `Delete the manifest of ${repo}:${tag}`,
    onclick: (e: Event) => { e.preventDefault(); void confirmDelete(repo, tag); },
  }, compact ? "Delete…" : "Delete this manifest…");
}

async function tagsView(repo: string): Promise<void> {
  const gen = generation;
  const state = loadTags(repo);
  const filter = h("input", { id: "tag-filter", type: "search", placeholder: "Filter tags…", "aria-label": "Filter tags", autocomplete: "off" });
  const refToggle = h("input", { type: "checkbox", id: "show-referrer-tags", checked: showReferrerTags });
  const refLabel = h("label", { class: "toggle", hidden: true }, refToggle, h("span", null));
  const count = h("span", { class: "count", "data-testid": "tag-count" });
  const tbody = h("tbody");
  const headers = {
    name: h("button", { type: "button", class: "sort", "data-sort": "name" }, "Tag"),
    created: h("button", { type: "button", class: "sort", "data-sort": "created" }, "Created"),
  };
  const th = (key: "name" | "created") => h("th", { scope: "col", "data-col": key }, headers[key]);
  const table = h("table", { class: "tags", "data-testid": "tags-table" },
    h("thead", null, h("tr", null, th("name"), h("th", { scope: "col" }, "Digest"), h("th", { scope: "col", class: "num" }, "Size"),
      th("created"), h("th", { scope: "col" }, "Platforms"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
    tbody);
  const body = h("div", { class: "tags-body" });
  const repoPull = `docker pull ${session!.host}/${repo}`;
  replace(app, h("section", { class: "view tags-view" },
    breadcrumb(["Repositories", hrefRepos()], [repo, null]),
    h("div", { class: "toolbar" },
      h("h1", null, repo, " ", count),
      filter, refLabel,
      h("button", { type: "button", class: "ghost", onclick: () => { loadTags(repo, true); void tagsView(repo); } }, "Refresh")),
    body));

  const rows = new Map<string, HTMLTableRowElement>();
  const rowFor = (tag: string): HTMLTableRowElement => {
    const info = state.info.get(tag);
    const s = info?.summary;
    const pull = `docker pull ${session!.host}/${repo}:${tag}`;
    const err = info?.error ? explain(info.error, ctx("read manifest", repo)) : null;
    return h("tr", { "data-tag": tag },
      h("td", { class: "tag-name" }, h("a", { href: hrefTag(repo, tag) }, tag),
        isReferrersTag(tag) ? h("span", { class: "chip muted", title: "Referrers index (tag schema) of the manifest with this digest" }, "referrers") : null),
      h("td", { class: "digest", title: s?.digest ?? "" },
        err ? h("span", { class: "cell-error", title: err.detail }, err.title) :
        s ? h("code", null, shortDigest(s.digest)) : h("span", { class: "skeleton" })),
      h("td", { class: "num" }, s ? bytes(s.totalSize) : ""),
      h("td", { class: "created" }, s ? date(s.created) : ""),
      h("td", null, platformChips(s)),
      h("td", { class: "row-actions" }, copyButton(pull, "Copy pull"), deleteButton(repo, tag, true)),
    );
  };
  const renderRows = () => {
    const terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const referrerTags = state.tags.filter(isReferrersTag).length;
    refLabel.hidden = referrerTags === 0;
    (refLabel.lastChild as HTMLElement).textContent = `Show ${referrerTags} referrers tag${referrerTags > 1 ? "s" : ""}`;
    const visible = state.tags.filter((t) =>
      (showReferrerTags || !isReferrersTag(t)) && terms.every((term) => t.toLowerCase().includes(term)));
    const sorted = sortTags(visible, state);
    count.textContent = visible.length === state.tags.length ? String(state.tags.length) : `${visible.length} of ${state.tags.length}`;
    for (const [key, button] of Object.entries(headers)) {
      const active = tagSort.key === key;
      button.parentElement!.setAttribute("aria-sort", active ? (tagSort.dir === 1 ? "ascending" : "descending") : "none");
      button.dataset.dir = active ? (tagSort.dir === 1 ? "asc" : "desc") : "";
    }
    tbody.replaceChildren(...sorted.map((t) => {
      let row = rows.get(t);
      if (!row) rows.set(t, (row = rowFor(t)));
      return row;
    }));
  };
  const update = (tag?: string) => {
    if (gen !== generation) return;
    if (state.error) {
      replace(body, errorBox(state.error, ctx("list tags", repo),
        h("a", { class: "button", href: hrefRepos() }, "Back to repositories")));
      return;
    }
    if (!state.complete) {
      replace(body, h("p", { class: "muted loading" }, "Loading tags…"));
      return;
    }
    if (state.tags.length === 0) {
      replace(body, h("section", { class: "empty-box", "data-testid": "no-tags" },
        h("h2", null, "No tags in this repository"),
        h("p", null, "All of its manifests were deleted, or nothing was tagged yet. Push a tag to use it again:"),
        command(`docker push ${session!.host}/${repo}:latest`)));
      return;
    }
    if (!body.contains(table)) {
      replace(body, h("div", { class: "pull-line" }, h("span", { class: "muted" }, "Pull:"), command(repoPull + ":<tag>")), h("div", { class: "table-wrap" }, table));
    }
    if (tag) {
      rows.set(tag, rowFor(tag));
      // A finished detail may move the row when sorting by date.
      if (tagSort.key === "created") renderRows();
      else {
        const old = tbody.querySelector(`tr[data-tag="${CSS.escape(tag)}"]`);
        if (old) old.replaceWith(rows.get(tag)!);
      }
    } else renderRows();
  };
  for (const [key, button] of Object.entries(headers) as ["name" | "created", HTMLButtonElement][]) {
    button.addEventListener("click", () => {
      tagSort = tagSort.key === key ? { key, dir: tagSort.dir === 1 ? -1 : 1 } : { key, dir: key === "created" ? -1 : 1 };
      renderRows();
    });
  }
  filter.addEventListener("input", renderRows);
  refToggle.addEventListener("change", () => { showReferrerTags = refToggle.checked; renderRows(); });
  const listener = (tag?: string) => {
    if (gen !== generation) state.listeners.delete(listener);
    else update(tag);
  };
  state.listeners.add(listener);
  update();
}

// ---------------------------------------------------------------------------
// Tag detail

const INDEX_TYPES = ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

function isDigest(reference: string): boolean {
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(reference);
}

function kv(rows: [string, Node | string | null | undefined][]): HTMLElement {
  return h("dl", { class: "kv" }, rows.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", null, k), h("dd", null, v!)]));
}

function argv(list: string[] | undefined | null): HTMLElement | null {
  return list && list.length ? h("code", null, JSON.stringify(list)) : null;
}

function section(title: string, testId: string, ...content: (Node | null)[]): HTMLElement {
  return h("section", { class: "card", "data-testid": testId }, h("h2", null, title), ...content);
}

function pendingCard(title: string, testId: string): HTMLElement {
  return section(title, testId, h("p", { class: "muted loading" }, "Loading…"));
}

async function tagView(repo: string, tag: string): Promise<void> {
  const gen = generation;
  const client = session!.client;
  const alive = () => gen === generation;
  // A digest (from a referrer link, say) instead of a tag.
  const byDigest = isDigest(tag);
  const name = byDigest ? `${repo}@${shortDigest(tag)}` : `${repo}:${tag}`;
  const header = h("div", { class: "detail-header" }, h("h1", null, name));
  const main = h("div", { class: "detail" }, h("p", { class: "muted loading" }, "Loading the manifest…"));
  replace(app, h("section", { class: "view tag-view" },
    breadcrumb(["Repositories", hrefRepos()], [repo, hrefRepo(repo)], [byDigest ? shortDigest(tag) : tag, null]), header, main));

  let top: Manifest;
  try {
    top = await client.getManifest(repo, tag);
  } catch (e) {
    if (alive()) replace(main, errorBox(e, ctx("read manifest", repo), h("a", { class: "button", href: hrefRepo(repo) }, "Back to the tags")));
    return;
  }
  if (!alive()) return;
  const isIndex = INDEX_TYPES.includes(top.mediaType);
  const host = session!.host;
  const summaryBox = h("div", { class: "summary-facts" });
  replace(header,
    h("div", null,
      h("h1", null, h("span", { class: "muted" }, byDigest ? `${repo}@` : `${repo}:`), byDigest ? shortDigest(tag) : tag),
      h("div", { class: "digest-line" }, h("code", { "data-testid": "digest" }, top.digest), copyButton(top.digest, "Copy digest"))),
    h("div", { class: "header-actions" }, deleteButton(repo, tag)));
  const pull = section("Pull", "pull",
    byDigest ? null : command(`docker pull ${host}/${repo}:${tag}`, "pull-tag"),
    command(`docker pull ${host}/${repo}@${top.digest}`, "pull-digest"));
  const overview = section("Manifest", "manifest",
    kv([["Media type", h("code", null, top.mediaType)],
      ["Manifest size", bytes(top.size)],
      ["Artifact type", top.manifest.artifactType ? h("code", null, top.manifest.artifactType) : null],
      ["Subject", top.manifest.subject ? h("code", null, top.manifest.subject.digest) : null]]),
    summaryBox);
  const platformsBox = h("div");
  const imageBox = h("div", { class: "image-box" });
  const referrersBox = pendingCard("Referrers", "referrers");
  const raw = h("details", { class: "card raw" }, h("summary", null, "Raw manifest JSON"), h("pre", null, JSON.stringify(top.manifest, null, 2)));
  replace(main, h("div", { class: "grid2" }, overview, pull), platformsBox, imageBox, referrersBox, raw);

  // Totals over all platforms.
  client.summary(repo, tag).then((s) => {
    if (!alive()) return;
    replace(summaryBox, kv([["Total size", h("span", { "data-testid": "total-size" }, bytes(s.totalSize))], ["Created", date(s.created)],
      ["Platforms", platformChips(s)]]));
  }, () => {});

  // Referrers: signatures, SBOMs, attestations pointing at this manifest.
  client.referrers(repo, top.digest).then((refs: Descriptor[]) => {
    if (!alive()) return;
    referrersBox.replaceWith(refs.length === 0
      ? section("Referrers", "referrers", h("p", { class: "muted" }, "No signatures, SBOMs or other artifacts refer to this manifest."))
      : section("Referrers", "referrers", h("table", null,
        h("thead", null, h("tr", null, h("th", null, "Artifact type"), h("th", null, "Digest"), h("th", { class: "num" }, "Size"), h("th", null, "Created"))),
        h("tbody", null, refs.map((r) => h("tr", null,
          h("td", null, h("code", null, r.artifactType ?? r.mediaType)),
          h("td", { title: r.digest }, h("a", { href: hrefTag(repo, r.digest) }, h("code", null, shortDigest(r.digest)))),
          h("td", { class: "num" }, bytes(r.size)),
          h("td", null, date(r.annotations?.["org.opencontainers.image.created"]))))))));
  }, (e) => {
    if (alive()) referrersBox.replaceWith(section("Referrers", "referrers", errorBox(e, ctx("read referrers", repo))));
  });

  const showImage = async (reference: string, label: string | null) => {
    replace(imageBox, pendingCard(label ? `Image for ${label}` : "Image", "image"));
    try {
      const manifest = reference === top.digest ? top : await client.getManifest(repo, reference);
      if (!alive()) return;
      if (!manifest.manifest.config) throw new Error("this manifest has no config");
      const layers: Descriptor[] = manifest.manifest.layers ?? [];
      const isImageConfig = /image\.config|container\.image/.test(manifest.manifest.config.mediaType);
      const config = isImageConfig ? await client.imageConfig(repo, manifest.digest) : null;
      if (!alive()) return;
      const c = config?.config ?? {};
      const labels = Object.entries((c.Labels ?? {}) as Record<string, string>);
      const history = (config?.history ?? []) as { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
      const layerTotal = layers.reduce((n, l) => n + l.size, 0);
      replace(imageBox,
        label ? h("h2", { class: "platform-title" }, `Platform ${label}`, " ", h("code", { class: "muted" }, shortDigest(manifest.digest))) : null,
        h("div", { class: "grid2" },
          section("Layers", "layers", h("table", null,
            h("thead", null, h("tr", null, h("th", { class: "num" }, "#"), h("th", null, "Digest"), h("th", null, "Media type"), h("th", { class: "num" }, "Size"))),
            h("tbody", null, layers.map((l, i) => h("tr", null,
              h("td", { class: "num" }, i + 1), h("td", { title: l.digest }, h("code", null, shortDigest(l.digest))),
              h("td", null, h("code", { class: "small" }, l.mediaType.replace(/^application\//, ""))), h("td", { class: "num" }, bytes(l.size))))),
            h("tfoot", null, h("tr", null, h("td"), h("td", null, `${layers.length} layer${layers.length === 1 ? "" : "s"}`), h("td"), h("td", { class: "num" }, bytes(layerTotal)))))),
          config ? section("Config", "config", kv([
            ["Platform", platformName(config)],
            ["Created", date(config.created)],
            ["Author", config.author],
            ["User", c.User],
            ["Working dir", c.WorkingDir ? h("code", null, c.WorkingDir) : null],
            ["Entrypoint", argv(c.Entrypoint)],
            ["Cmd", argv(c.Cmd)],
            ["Ports", c.ExposedPorts ? Object.keys(c.ExposedPorts).join(", ") : null],
            ["Env", c.Env?.length ? h("ul", { class: "plain" }, (c.Env as string[]).map((e) => h("li", null, h("code", null, e)))) : null],
            ["Config digest", h("code", null, shortDigest(manifest.manifest.config.digest))],
          ])) : section("Config", "config", kv([["Media type", h("code", null, manifest.manifest.config.mediaType)], ["Size", bytes(manifest.manifest.config.size)]]))),
        labels.length ? section("Labels", "labels", h("table", { class: "labels" }, h("tbody", null,
          labels.map(([k, v]) => h("tr", null, h("th", { scope: "row" }, h("code", null, k)), h("td", null, v)))))) : null,
        history.length ? section("History", "history", h("table", { class: "history" },
          h("thead", null, h("tr", null, h("th", null, "Created"), h("th", null, "Created by"), h("th", null, "Layer"))),
          h("tbody", null, history.map((step) => h("tr", { class: step.empty_layer ? "muted" : "" },
            h("td", { class: "nowrap" }, date(step.created)),
            h("td", null, h("code", { class: "wrap" }, step.created_by ?? step.comment ?? "")),
            h("td", null, step.empty_layer ? "empty" : "layer")))))) : null,
      );
    } catch (e) {
      if (alive()) replace(imageBox, errorBox(e, ctx("read manifest", repo)));
    }
  };

  if (isIndex) {
    const children: Descriptor[] = top.manifest.manifests ?? [];
    const buttons: HTMLButtonElement[] = [];
    const select = (i: number) => {
      buttons.forEach((b, j) => b.setAttribute("aria-pressed", String(i === j)));
      const d = children[i];
      void showImage(d.digest, platformName(d.platform) || shortDigest(d.digest));
    };
    replace(platformsBox, section(`Index: ${children.length} manifest${children.length === 1 ? "" : "s"}`, "platforms",
      h("table", { class: "platforms" },
        h("thead", null, h("tr", null, h("th", null, "Platform"), h("th", null, "Digest"), h("th", null, "Media type"), h("th", { class: "num" }, "Manifest size"), h("th"))),
        h("tbody", null, children.map((d, i) => {
          const button = h("button", { type: "button", class: "small", onclick: () => select(i) }, "Show");
          buttons.push(button);
          const platform = platformName(d.platform);
          const attestation = d.annotations?.["vnd.docker.reference.type"] === "attestation-manifest";
          return h("tr", { "data-platform": platform },
            h("td", null, platform ? h("span", { class: "chip" }, platform) : "–", attestation ? h("span", { class: "chip muted" }, "attestation") : null),
            h("td", { title: d.digest }, h("code", null, shortDigest(d.digest)), " ", copyButton(`docker pull ${host}/${repo}@${d.digest}`, "Copy pull")),
            h("td", null, h("code", { class: "small" }, d.mediaType)),
            h("td", { class: "num" }, bytes(d.size)),
            h("td", null, button));
        })))));
    const first = children.findIndex((d) => d.platform && d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest");
    if (children.length) select(Math.max(0, first));
  } else {
    void showImage(top.digest, null);
  }
}

// ---------------------------------------------------------------------------
// Delete, with a confirmation listing every tag that goes with the digest.

let dialog: HTMLDialogElement | null = null;

function closeDialog(): void {
  dialog?.close();
  dialog?.remove();
  dialog = null;
}

async function confirmDelete(repo: string, tag: string): Promise<void> {
  const client = session!.client;
  closeDialog();
  const content = h("div", { class: "dialog-body" }, h("p", { class: "muted loading" }, "Finding every tag that shares this manifest…"));
  const name = isDigest(tag) ? `${repo}@${shortDigest(tag)}` : `${repo}:${tag}`;
  const d = h("dialog", { class: "confirm", "aria-label": `Delete ${name}`, "data-testid": "delete-dialog" },
    h("h2", null, `Delete ${name}?`), content);
  d.addEventListener("close", () => { if (dialog === d) { d.remove(); dialog = null; } });
  document.body.append(d);
  dialog = d;
  d.showModal();
  const cancel = h("button", { type: "button", onclick: closeDialog }, "Cancel");
  try {
    // Every tag's digest: from the tags view when it has it, else a HEAD.
    const state = loadTags(repo);
    await state.done.then(() => undefined, () => undefined);
    if (state.error) throw state.error;
    const digestOf = new Map<string, string>();
    for (const [t, info] of state.info) if (info.summary) digestOf.set(t, info.summary.digest);
    const missing = state.tags.filter((t) => !digestOf.has(t));
    await pool(missing, 4, async (t) => {
      try {
        digestOf.set(t, (await client.headManifest(repo, t)).digest);
      } catch { /* a tag that vanished meanwhile */ }
    }, () => dialog === d);
    const digest = isDigest(tag) ? tag : digestOf.get(tag) ?? (await client.headManifest(repo, tag)).digest;
    if (dialog !== d) return;
    const others = state.tags.filter((t) => t !== tag && digestOf.get(t) === digest).sort(naturalCompare);
    const self = isDigest(tag) ? null : tag;
    const confirm = h("button", { type: "button", class: "danger", "data-action": "confirm-delete" }, "Delete manifest");
    const status = h("div");
    replace(content,
      h("p", null, "The registry deletes manifests by digest, so every tag pointing at it disappears with it:"),
      h("p", null, h("code", { class: "digest-full", "data-testid": "delete-digest" }, digest)),
      h("ul", { class: "tag-list", "data-testid": "delete-tags" },
        self ? h("li", null, h("strong", null, tag), h("span", { class: "muted" }, " (this tag)")) : null,
        others.map((t) => h("li", { "data-other-tag": t }, h("strong", null, t), h("span", { class: "muted" }, " (same digest)")))),
      others.length
        ? h("p", { class: "warning", "data-testid": "shared-warning" },
          `${others.length} other tag${others.length > 1 ? "s share" : " shares"} this digest and will be deleted too: ${others.join(", ")}.`)
        : h("p", { class: "muted", "data-testid": "no-shared" }, "No other tag shares this digest."),
      h("p", { class: "muted" }, "Layers stay in the registry until its garbage collection runs. This cannot be undone."),
      status,
      h("div", { class: "actions" }, cancel, confirm));
    confirm.focus();
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      confirm.textContent = "Deleting…";
      try {
        await client.deleteManifest(repo, digest);
        closeDialog();
        const gone = self ? [self, ...others] : others;
        toast(`Deleted ${shortDigest(digest)}${gone.length ? ` and ${gone.length > 1 ? `its tags ${gone.join(", ")}` : `the tag ${gone[0]}`}` : ""}`);
        loadTags(repo, true);
        location.hash = hrefRepo(repo);
        render();
      } catch (e) {
        const x = explain(e, ctx("delete", repo));
        if (x.kind === "unsupported") {
          session!.deleteDisabled = `${x.title}: ${x.detail}`;
          document.querySelectorAll<HTMLButtonElement>("button[data-action=delete]").forEach((b) => {
            b.disabled = true;
            b.title = session!.deleteDisabled!;
          });
        }
        replace(status, errorBox(e, ctx("delete", repo)));
        confirm.remove();
        cancel.textContent = "Close";
      }
    });
  } catch (e) {
    if (dialog === d) replace(content, errorBox(e, ctx("delete", repo)), h("div", { class: "actions" }, cancel));
  }
}

// ---------------------------------------------------------------------------

window.addEventListener("hashchange", render);
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !(e.target instanceof HTMLInputElement) && !(e.target instanceof HTMLTextAreaElement)) {
    const filter = document.querySelector<HTMLInputElement>("#repo-filter, #tag-filter");
    if (filter) {
      e.preventDefault();
      filter.focus();
    }
  }
});

// Reconnect anonymously after a reload (credentials were not kept).
const savedUrl = sessionStorage.getItem(STORE_URL);
if (savedUrl && sessionStorage.getItem(STORE_AUTH) === "none" && location.hash.length > 2) {
  connect(savedUrl, "none", "", "").then(render, () => render());
} else {
  render();
}
(window as unknown as { __ocireg_ui_ready: boolean }).__ocireg_ui_ready = true;
