// Builds what the UI needs, skipping what is already there:
//   1. this example's npm dependencies (npm ci) when missing;
//   2. the ocireg package (bindings/npm: `npm run build`) when its dist/ is
//      missing, or stale with OCIREG_WEB_UI_REBUILD_PKG=1;
//   3. the UI itself (tsc: src/*.ts -> dist/*.js);
//   4. with --server: the registry launcher (cargo build -p ocireg-web-ui-server).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ui = fileURLToPath(new URL("..", import.meta.url));
const root = resolve(ui, "../..");
const pkg = join(root, "bindings/npm");

function run(cmd, args, cwd) {
  console.log(`$ (cd ${cwd === root ? "." : cwd.slice(root.length + 1)}) ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd });
}

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(join(ui, "node_modules/typescript")) || !existsSync(join(ui, "node_modules/playwright-core"))) {
  run("npm", ["ci", "--no-audit", "--no-fund"], ui);
}

const wasm = join(pkg, "dist/ocireg_bg.wasm");
if (!existsSync(join(pkg, "dist/index.js")) || !existsSync(wasm)) {
  if (!existsSync(join(pkg, "node_modules/binaryen"))) run("npm", ["ci", "--no-audit", "--no-fund"], pkg);
  run("npm", ["run", "build"], pkg);
} else {
  const sources = ["bindings/npm/src", "crates/ocireg-wasm/src", "crates/ocireg-core/src"].map((d) => join(root, d)).filter(existsSync);
  const stale = sources.some((d) => newest(d) > statSync(wasm).mtimeMs);
  if (stale && process.env.OCIREG_WEB_UI_REBUILD_PKG === "1") {
    run("npm", ["run", "build"], pkg);
  } else if (stale) {
    console.warn("note: bindings/npm/dist is older than its sources; OCIREG_WEB_UI_REBUILD_PKG=1 rebuilds it");
  }
}

run(join(ui, "node_modules/.bin/tsc"), ["-p", "."], ui);

if (process.argv.includes("--server")) {
  run("cargo", ["build", "--quiet", "-p", "ocireg-web-ui-server"], root);
}
