// One browser test of the built package: serves bindings/npm over HTTP,
// opens test/browser/page.html in Debian's headless Chromium (through
// playwright-core; no browser download), and reports what the page found.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../..", import.meta.url));
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set: run through scripts/wasm-tests`);
  return process.env[name];
};

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (!path.startsWith("/dist/") && path !== "/test/browser/page.html") {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
let failed = 0;
let passed = 0;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  const query = new URLSearchParams({
    noauth: env("OCIREG_WASM_NOAUTH"),
    hidden: env("OCIREG_WASM_HIDDEN"),
    direct: env("OCIREG_WASM_DIRECT"),
    token: env("OCIREG_WASM_TOKEN"),
    user: env("OCIREG_WASM_USER"),
    password: env("OCIREG_WASM_PASSWORD"),
    hello: env("OCIREG_WASM_HELLO_DIGEST"),
  });
  await page.goto(`${origin}/test/browser/page.html?${query}`);
  const results = await page.waitForFunction(() => window.__results, null, { timeout: 60_000 }).then((h) => h.jsonValue());
  for (const r of results) {
    console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `: ${r.error}`}`);
    r.ok ? passed++ : failed++;
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`browser page: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
