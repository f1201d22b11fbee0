// Browser tests of the web UI: Debian's headless Chromium driven by
// playwright-core (nothing downloaded), against real docker-registry 2.8.2
// instances behind nginx CORS proxies (examples/web-ui/server), seeded by
// the launcher with the demo images and 2,000 extra repositories. The UI is
// served from another origin, so every request is a real CORS request.
//
// Saves a screenshot of each main view under examples/web-ui/screenshots/.
//
// Run with `npm test` in examples/web-ui (builds what is missing first).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startRegistries } from "../scripts/registries.mjs";
import { startStaticServer } from "../scripts/serve.mjs";

const FILLERS = Number(process.env.OCIREG_WEB_UI_FILLERS ?? 2000);
const shots = fileURLToPath(new URL("../screenshots/", import.meta.url));
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let registries, web, context, profile, setups;
const pageErrors = [];

before(async () => {
  registries = await startRegistries({ setups: ["main", "basic", "token", "empty", "readonly"], fillers: FILLERS });
  setups = registries.info.setups;
  console.log(`# seeded ${JSON.stringify(registries.info.repositories)} in ${registries.info.seededInMs} ms`);
  web = await startStaticServer();
  profile = mkdtempSync(join(tmpdir(), "ocireg-web-ui-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
  });
  // Generous: CI machines are small and may be busy compiling.
  context.setDefaultTimeout(90_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web.url });
  mkdirSync(shots, { recursive: true });
}, { timeout: 600_000 });

after(async () => {
  await context?.close();
  await web?.close();
  await registries?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], "uncaught errors in the page");
});

/** A loopback port nothing listens on. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh tab (sessionStorage is per tab: a new session). */
async function newPage() {
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return page;
}

/** Opens the UI and connects to `setup` with `auth` ("none" | {username,password} | {token}). */
async function connect(page, url, auth = "none") {
  await page.goto(`${web.url}/?registry=${encodeURIComponent(url)}`);
  await page.locator("#registry-url").fill(url);
  if (auth !== "none" && auth.token) {
    await page.locator("input[name=auth][value=token]").check();
    await page.locator("#token").fill(auth.token);
  } else if (auth !== "none") {
    await page.locator("input[name=auth][value=basic]").check();
    await page.locator("#username").fill(auth.username);
    await page.locator("#password").fill(auth.password);
  }
  await page.locator("#connect").click();
}

async function waitForCatalog(page) {
  try {
    await page.locator("[data-testid=repo-progress][data-complete=true]").waitFor({ timeout: 120_000 });
  } catch (e) {
    const shown = await page.locator("main").textContent().catch(() => "?");
    throw new Error(`${e.message}\nat ${page.url()}\nthe page shows: ${shown}`);
  }
}

/** Waits until every row of the tags table has its details. */
async function waitForTagDetails(page) {
  await page.locator("table.tags tbody tr").first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.tags .skeleton").length === 0, null, { timeout: 90_000 });
}

const tagOrder = (page) => page.locator("table.tags tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.tag));

test("connect, then the whole catalog is listed page by page and stays virtualized", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await page.goto(`${web.url}/?registry=${encodeURIComponent(setups.main.url)}`);
  await assert.doesNotReject(page.locator("#registry-url").waitFor());
  assert.equal(await page.locator("#registry-url").inputValue(), setups.main.url);
  await page.screenshot({ path: join(shots, "connect.png") });

  await page.locator("#connect").click();
  await waitForCatalog(page);
  const total = registries.info.repositories.main;
  const count = page.locator("[data-testid=repo-count]");
  assert.equal(await count.getAttribute("data-total"), String(total));
  assert.equal(await count.textContent(), total.toLocaleString("en"));
  // 250 per page: every page was followed.
  const pages = Math.ceil(total / 250);
  assert.equal(await page.locator("[data-testid=repo-progress]").textContent(), `${pages} page${pages === 1 ? "" : "s"} loaded`);
  // Only the rows in view are in the DOM.
  const rendered = await page.locator(".repo-row").count();
  assert.ok(rendered > 10 && rendered < 80, `${rendered} rows rendered for ${total} repositories`);
  await page.screenshot({ path: join(shots, "repositories.png") });

  // The last repository of the last page is reachable by scrolling.
  await page.locator(".vlist").evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.locator(".repo-row[data-repo='team/web']").waitFor();
  assert.ok((await page.locator(".repo-row").count()) < 80);

  // Credentials and the client are not persisted.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.equal(stored, "{}");
  await page.close();
});

test("the filter narrows thousands of repositories at once", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.main.url);
  await waitForCatalog(page);
  const filter = page.locator("#repo-filter");
  // Time from the keystroke's input event to the updated list.
  const timed = async (text) => page.evaluate((text) => {
    const input = document.querySelector("#repo-filter");
    const start = performance.now();
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    const rows = document.querySelectorAll(".repo-row").length;
    return { ms: performance.now() - start, rows, count: document.querySelector("[data-testid=repo-count]").textContent };
  }, text);

  const last = `svc-${String(FILLERS - 1).padStart(4, "0")}`;
  const total = registries.info.repositories.main.toLocaleString("en");
  const one = await timed(last);
  assert.equal(one.rows, 1);
  assert.equal(one.count, `1 of ${total}`);
  assert.ok(one.ms < 250, `filtering took ${one.ms} ms`);
  assert.equal(await page.locator(".repo-row mark").first().textContent(), last);

  if (FILLERS >= 2000) {
    const group = await timed("billing");
    assert.equal(group.count, `${FILLERS / 8} of ${total}`);
    assert.ok(group.ms < 250, `filtering took ${group.ms} ms`);
  }
  const words = await timed("team api");
  assert.equal(words.rows, 1, "every word must match");
  const none = await timed("no-such-repository");
  assert.equal(none.rows, 0);
  assert.ok(await page.locator(".no-match").isVisible());

  await filter.fill("demo/hel");
  await filter.press("Enter");
  await page.waitForURL(/#\/repo\/demo%2Fhello$/);
  await page.close();
});

test("tags show digest, size, created and platforms, and sort by name and date", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.main.url);
  await waitForCatalog(page);
  await page.locator(".repo-row[data-repo='demo/hello']").click();
  await waitForTagDetails(page);

  const row = (tag) => page.locator(`table.tags tr[data-tag='${tag}']`);
  // The two referrers tag-schema tags are hidden by default.
  assert.equal(await page.locator("[data-testid=tag-count]").textContent(), "6 of 8");
  assert.deepEqual(await tagOrder(page), ["3.0", "latest", "multi", "v1", "v1.1", "v2"]);
  assert.equal(await row("v1").locator(".digest").getAttribute("title"), await row("v1.1").locator(".digest").getAttribute("title"));
  assert.match(await row("v1").locator(".digest code").textContent(), /^sha256:[0-9a-f]{12}$/);
  assert.match(await row("v2").locator("td.num").textContent(), /KiB$/);
  assert.equal(await row("v2").locator("td.created").textContent(), "2024-06-15 14:30 UTC");
  assert.deepEqual(await row("multi").locator(".chip").allTextContents(), ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
  assert.deepEqual(await row("v1").locator(".chip").allTextContents(), ["linux/amd64"]);
  await page.screenshot({ path: join(shots, "tags.png") });

  await page.locator("#show-referrer-tags").check();
  assert.equal(await page.locator("[data-testid=tag-count]").textContent(), "8");
  await page.locator("#show-referrer-tags").uncheck();

  // Sorting, on a repository whose tag names and dates disagree.
  await page.goto(`${web.url}/#/repo/team%2Fapi`);
  await waitForTagDetails(page);
  assert.deepEqual(await tagOrder(page), ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc1", "edge"]);
  const created = page.locator("button.sort[data-sort=created]");
  await created.click(); // newest first
  assert.deepEqual(await tagOrder(page), ["edge", "2.0.0-rc1", "1.1.0", "1.2.0", "1.0.0"]);
  assert.equal(await page.locator("th[data-col=created]").getAttribute("aria-sort"), "descending");
  await created.click(); // oldest first
  assert.deepEqual(await tagOrder(page), ["1.0.0", "1.2.0", "1.1.0", "2.0.0-rc1", "edge"]);
  const name = page.locator("button.sort[data-sort=name]");
  await name.click();
  assert.deepEqual(await tagOrder(page), ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc1", "edge"]);
  await name.click();
  assert.deepEqual(await tagOrder(page), ["edge", "2.0.0-rc1", "1.2.0", "1.1.0", "1.0.0"]);
  assert.equal(await page.locator("th[data-col=name]").getAttribute("aria-sort"), "descending");
  await page.locator("#tag-filter").fill("1.");
  assert.deepEqual(await tagOrder(page), ["1.2.0", "1.1.0", "1.0.0"]);
  await page.close();
});

test("tag detail: media type, platforms, layers, config, history, referrers and pull commands", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.main.url);
  await waitForCatalog(page);
  await page.goto(`${web.url}/#/repo/demo%2Fhello/tag/multi`);
  await page.locator("[data-testid=config]").waitFor();
  await page.locator("[data-testid=referrers] table").waitFor();
  await page.locator("[data-testid=total-size]").waitFor();

  const host = new URL(setups.main.url).host;
  const digest = await page.locator("[data-testid=digest]").textContent();
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.match(await page.locator("[data-testid=manifest]").textContent(), /application\/vnd\.oci\.image\.index\.v1\+json/);
  assert.equal(await page.locator("[data-testid=pull-tag] code").textContent(), `docker pull ${host}/demo/hello:multi`);
  assert.equal(await page.locator("[data-testid=pull-digest] code").textContent(), `docker pull ${host}/demo/hello@${digest}`);

  assert.deepEqual(await page.locator("[data-testid=platforms] tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.platform)),
    ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
  assert.equal(await page.locator("[data-testid=layers] tbody tr").count(), 3);
  assert.match(await page.locator("[data-testid=layers] tfoot").textContent(), /3 layers.*KiB/);
  const config = await page.locator("[data-testid=config]").textContent();
  assert.match(config, /\["\/opt\/demo\/hello"\]/);
  assert.match(config, /\["--listen",":8080"\]/);
  assert.match(config, /HELLO_GREETING=hello from ocireg/);
  assert.match(config, /linux\/amd64/);
  assert.match(await page.locator("[data-testid=labels]").textContent(), /org\.opencontainers\.image\.title\s*hello/);
  assert.equal(await page.locator("[data-testid=history] tbody tr").count(), 4);
  const referrers = await page.locator("[data-testid=referrers] tbody tr").allTextContents();
  assert.equal(referrers.length, 2);
  assert.match(referrers.join("\n"), /application\/vnd\.dev\.cosign\.artifact\.sig\.v1\+json/);
  assert.match(referrers.join("\n"), /application\/spdx\+json/);
  await page.screenshot({ path: join(shots, "detail.png"), fullPage: true });
  await page.locator("[data-testid=pull-digest] button").click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `docker pull ${host}/demo/hello@${digest}`);

  // A referrer, opened by digest.
  await page.locator("[data-testid=referrers] a", { hasText: "sha256:" }).last().click();
  await page.locator("[data-testid=layers] tbody tr").first().waitFor();
  assert.match(await page.locator("[data-testid=manifest]").textContent(), /Artifact type\s*application\/spdx\+json/);
  assert.equal(await page.locator("[data-testid=pull-tag]").count(), 0);
  assert.match(await page.locator("[data-testid=pull-digest] code").textContent(), /@sha256:[0-9a-f]{64}$/);
  await page.goBack();
  await page.locator("[data-testid=platforms]").waitFor();

  // Another platform of the index.
  await page.locator("[data-testid=platforms] tr[data-platform='linux/arm64/v8'] button", { hasText: "Show" }).click();
  await page.locator(".platform-title", { hasText: "linux/arm64/v8" }).waitFor();
  await page.locator("[data-testid=config]", { hasText: "linux/arm64/v8" }).waitFor();

  // A Docker schema 2 image.
  await page.goto(`${web.url}/#/repo/demo%2Flegacy/tag/1.0`);
  await page.locator("[data-testid=layers] tbody tr").first().waitFor();
  assert.match(await page.locator("[data-testid=manifest]").textContent(), /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  assert.match(await page.locator("[data-testid=referrers]").textContent(), /No signatures/);
  await page.close();
});

test("delete asks first, listing every other tag with the same digest", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.main.url);
  await waitForCatalog(page);
  await page.goto(`${web.url}/#/repo/demo%2Fhello`);
  await waitForTagDetails(page);
  await page.locator("tr[data-tag='v1'] button[data-action=delete]").click();
  const dialog = page.locator("[data-testid=delete-dialog]");
  await dialog.locator("[data-testid=delete-tags]").waitFor();
  assert.deepEqual(await dialog.locator("[data-other-tag]").evaluateAll((els) => els.map((e) => e.dataset.otherTag)), ["v1.1"]);
  assert.match(await dialog.locator("[data-testid=shared-warning]").textContent(), /1 other tag shares this digest.*v1\.1/);
  const digest = await dialog.locator("[data-testid=delete-digest]").textContent();
  await page.screenshot({ path: join(shots, "delete-confirmation.png") });

  // Cancel keeps everything.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await dialog.count(), 0);
  assert.equal(await page.locator("tr[data-tag='v1']").count(), 1);

  await page.locator("tr[data-tag='v1'] button[data-action=delete]").click();
  await page.locator("[data-action=confirm-delete]").click();
  await page.locator("#toast", { hasText: "Deleted" }).waitFor();
  await waitForTagDetails(page);
  assert.deepEqual(await tagOrder(page), ["3.0", "latest", "multi", "v2"]);
  // The registry agrees.
  const tags = await (await fetch(`${setups.main.registry}/v2/demo/hello/tags/list`)).json();
  assert.ok(!tags.tags.includes("v1") && !tags.tags.includes("v1.1") && tags.tags.includes("v2"), JSON.stringify(tags));
  const gone = await fetch(`${setups.main.registry}/v2/demo/hello/manifests/${digest}`, { method: "HEAD", headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
  assert.equal(gone.status, 404);

  // From the detail view, with no other tag sharing the digest.
  await page.goto(`${web.url}/#/repo/team%2Fapi/tag/edge`);
  await page.getByRole("button", { name: "Delete this manifest…" }).click();
  await dialog.locator("[data-testid=no-shared]").waitFor();
  await page.locator("[data-action=confirm-delete]").click();
  await page.waitForURL(/#\/repo\/team%2Fapi$/);
  await waitForTagDetails(page);
  assert.deepEqual(await tagOrder(page), ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc1"]);
  await page.close();
});

test("a registry with deletes disabled says so", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.readonly.url);
  await waitForCatalog(page);
  await page.goto(`${web.url}/#/repo/demo%2Fhello`);
  await waitForTagDetails(page);
  await page.locator("tr[data-tag='v1'] button[data-action=delete]").click();
  await page.locator("[data-action=confirm-delete]").click();
  const error = page.locator("[data-testid=delete-dialog] .error-box");
  await error.waitFor();
  assert.equal(await error.getAttribute("data-error-kind"), "unsupported");
  assert.match(await error.textContent(), /does not allow deleting.*405.*UNSUPPORTED/s);
  await page.getByRole("button", { name: "Close" }).click();
  assert.ok(await page.locator("tr[data-tag='v2'] button[data-action=delete]").isDisabled());
  await page.close();
});

test("a registry without CORS headers gets a CORS diagnosis", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.main.registry);
  const error = page.locator(".form-status .error-box");
  await page.locator(".form-status .error-box:not([data-error-kind=blocked])").waitFor();
  assert.equal(await error.getAttribute("data-error-kind"), "cors");
  const text = await error.textContent();
  assert.match(text, /CORS/);
  assert.match(text, new RegExp(`Access-Control-Allow-Origin: ${web.url.replace(/[.:/]/g, "\\$&")}`));
  await page.screenshot({ path: join(shots, "error-cors.png") });

  // Nothing listening at all.
  const closed = `http://127.0.0.1:${await freePort()}`;
  await connect(page, closed);
  await page.locator(".form-status .error-box[data-error-kind=network]").waitFor();
  assert.match(await page.locator(".form-status .error-box").textContent(), /Cannot reach the registry/);
  await page.close();
});

test("basic auth: anonymous and wrong credentials are explained, right ones work", { timeout: 240_000 }, async () => {
  const page = await newPage();
  const { url, username, password } = setups.basic;
  await connect(page, url);
  const error = page.locator(".form-status .error-box");
  await error.waitFor();
  assert.equal(await error.getAttribute("data-error-kind"), "auth");
  assert.match(await error.textContent(), /needs you to sign in.*401/s);

  await connect(page, url, { username, password: "wrong" });
  await page.locator(".form-status .error-box", { hasText: "refused these credentials" }).waitFor();

  await connect(page, url, { username, password });
  await waitForCatalog(page);
  assert.equal(await page.locator("[data-testid=connected]").textContent(), `${new URL(url).host} as ${username}`);
  await page.locator(".repo-row[data-repo='demo/hello']").click();
  await waitForTagDetails(page);
  assert.ok((await tagOrder(page)).includes("v2"));
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
  assert.ok(!stored.includes(password), `the password was stored: ${stored}`);

  // A reload forgets the credentials: back to the form, URL kept.
  await page.reload();
  await page.locator("#registry-url").waitFor();
  assert.equal(await page.locator("#registry-url").inputValue(), url);
  assert.equal(await page.locator("#password").inputValue(), "");
  await page.close();
});

test("token auth: anonymous may pull but not list; a user or a bearer token may list", { timeout: 240_000 }, async () => {
  const page = await newPage();
  const { url, username, password } = setups.token;
  await connect(page, url);
  const error = page.locator(".error-box[data-error-kind=auth]");
  await error.waitFor();
  assert.match(await error.textContent(), /registry:catalog:\*/);
  // Open a repository by name instead.
  await page.locator(".open-by-name input").fill("demo/hello");
  await page.locator(".open-by-name button").click();
  await waitForTagDetails(page);
  assert.ok((await tagOrder(page)).includes("v1"));
  await page.close();

  const user = await newPage();
  await connect(user, url, { username, password });
  await waitForCatalog(user);
  assert.equal(await user.locator("[data-testid=repo-count]").getAttribute("data-total"), "1");
  await user.close();

  // A bearer token from the token server, pasted in.
  const query = new URLSearchParams([["service", "ocireg-testkit-registry"], ["scope", "registry:catalog:*"], ["scope", "repository:demo/hello:pull"]]);
  const response = await fetch(`${url}/token?${query}`, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` } });
  assert.equal(response.status, 200);
  const { token } = await response.json();
  const bearer = await newPage();
  await connect(bearer, url, { token });
  await waitForCatalog(bearer);
  assert.equal(await bearer.locator("[data-testid=connected]").textContent(), `${new URL(url).host} with a token`);
  await bearer.locator(".repo-row[data-repo='demo/hello']").click();
  await waitForTagDetails(bearer);
  await bearer.close();
});

test("empty registry, empty repository and missing repository are explained", { timeout: 240_000 }, async () => {
  const page = await newPage();
  await connect(page, setups.empty.url);
  await page.locator("[data-testid=empty-registry]").waitFor();
  assert.match(await page.locator("[data-testid=empty-registry]").textContent(), /no repositories yet/);
  await page.screenshot({ path: join(shots, "empty-registry.png") });
  await page.close();

  const main = await newPage();
  await connect(main, setups.main.url);
  await waitForCatalog(main);
  // All of its manifests were deleted: the registry says `"tags": null`.
  await main.goto(`${web.url}/#/repo/team%2Fretired`);
  await main.locator("[data-testid=no-tags]").waitFor();
  // A repository that does not exist: the registry's error, explained.
  await main.goto(`${web.url}/#/repo/no%2Fsuch-repo`);
  const error = main.locator(".error-box");
  await error.waitFor();
  assert.equal(await error.getAttribute("data-error-kind"), "not-found");
  assert.match(await error.textContent(), /NAME_UNKNOWN/);
  await main.goto(`${web.url}/#/repo/demo%2Fhello/tag/no-such-tag`);
  await main.locator(".error-box[data-error-kind=not-found]", { hasText: "MANIFEST_UNKNOWN" }).waitFor();
  await main.close();
});
