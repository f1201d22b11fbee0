// A small static server for the UI: index.html, style.css, the compiled
// TypeScript (dist/), and the ocireg package's browser build under /pkg/
// (node_modules/ocireg/dist, a link to bindings/npm/dist).
//
//   node scripts/serve.mjs [--port P]     prints the URL and serves until killed
import { createServer } from "node:http";
import { existsSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const uiRoot = fileURLToPath(new URL("..", import.meta.url));

/** Where the package's dist/ is: the installed dependency, else the source tree. */
export function packageDist() {
  const installed = join(uiRoot, "node_modules/ocireg/dist");
  if (existsSync(join(installed, "index.js"))) return realpathSync(installed);
  return realpathSync(join(uiRoot, "../../bindings/npm/dist"));
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** Maps a URL path to a file, or null. */
function resolvePath(pathname, pkg) {
  const path = normalize(decodeURIComponent(pathname));
  if (path.includes("\0")) return null;
  const inside = (base, rel) => {
    const full = normalize(join(base, rel));
    return full === base || full.startsWith(base + sep) ? full : null;
  };
  if (path === "/" || path === "/index.html") return join(uiRoot, "index.html");
  if (path === "/style.css") return join(uiRoot, "style.css");
  if (path.startsWith("/dist/")) return inside(join(uiRoot, "dist"), path.slice("/dist/".length));
  if (path.startsWith("/pkg/")) return inside(pkg, path.slice("/pkg/".length));
  return null;
}

/** Starts the server on 127.0.0.1 (`port` 0: a free one). */
export async function startStaticServer({ port = 0, host = "127.0.0.1" } = {}) {
  const pkg = packageDist();
  const server = createServer(async (req, res) => {
    const file = resolvePath(new URL(req.url ?? "/", "http://x").pathname, pkg);
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${server.address().port}`;
  return { url, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const i = process.argv.indexOf("--port");
  const { url } = await startStaticServer({ port: i > 0 ? Number(process.argv[i + 1]) : 0 });
  console.log(`serving the UI at ${url}/`);
}
