// `npm run build`: the Rust crate -> wasm -> wasm-bindgen (ESM, target web)
// -> wasm-opt (binaryen from npm: Debian's wasm-opt 108 corrupts
// wasm-bindgen 0.2.130 output) -> dist/ with the two entry points:
//
//   dist/index.js   browsers and bundlers: fetches ocireg_bg.wasm next to it
//                   (new URL(..., import.meta.url)) with top-level await
//   dist/node.js    Node 20+: reads ocireg_bg.wasm from disk
//
// Needs: cargo with the wasm32-unknown-unknown target, wasm-bindgen-cli
// 0.2.130 on PATH, `npm install` done here. Prints the gzipped size.
// `npm run build -- --dev`: a quick unoptimized build for development.
// `npm run build -- --names`: optimized, but keeps the function names (for
// size analysis: `twiggy top -n 40 dist/ocireg_bg.wasm`, `twiggy
// dominators ...`); its size is not the published one.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const root = resolve(pkg, "../..");
const dist = join(pkg, "dist");
const WASM_BINDGEN_VERSION = "0.2.130";

function run(cmd, args, env = {}) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: root, env: { ...process.env, ...env } });
}

// 1. The wasm module, in a profile of its own (size-optimized, without
//    touching the workspace's release profile).
const profile = {
  CARGO_PROFILE_NPM_INHERITS: "release",
  CARGO_PROFILE_NPM_OPT_LEVEL: "z",
  CARGO_PROFILE_NPM_LTO: "fat",
  CARGO_PROFILE_NPM_CODEGEN_UNITS: "1",
  CARGO_PROFILE_NPM_PANIC: "abort",
  CARGO_PROFILE_NPM_DEBUG: "false",
  // `strip = true` drops the target-features section wasm-bindgen needs.
  CARGO_PROFILE_NPM_STRIP: "debuginfo",
};
const dev = process.argv.includes("--dev");
const names = process.argv.includes("--names");
const cargoProfile = dev ? "dev" : "npm";

// With a nightly toolchain that has the rust-src component, the standard
// library is rebuilt with the module (`-Zbuild-std`), size-optimized
// (`optimize_for_size`) and without panic locations (`-Zlocation-detail`;
// a panic still reaches JavaScript with its message, see src/task.rs). Not
// `panic_immediate_abort`: it skips the panic hook, and with it the PANIC
// error, to save 9 KB gzipped (measured 2026-11-26; see README.md).
// Without such a nightly (or with `--stable`), the stable toolchain's
// prebuilt standard library is used:
//   rustup toolchain install nightly --profile minimal
//   rustup component add rust-src --toolchain nightly
function nightlyWithSource() {
  if (dev || process.argv.includes("--stable")) return false;
  try {
    const sysroot = execFileSync("rustc", ["+nightly", "--print", "sysroot"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    return existsSync(join(sysroot, "lib/rustlib/src/rust/library/std/Cargo.toml"));
  } catch {
    return false;
  }
}
const buildStd = nightlyWithSource();
// Its own target directory: the flags differ from every other build's.
const targetDir = buildStd ? join(root, "target/npm-build-std") : join(root, "target");
const cargoArgs = ["build", "-p", "ocireg-js", "--target", "wasm32-unknown-unknown", "--profile", cargoProfile];
if (buildStd) {
  run("cargo", ["+nightly", ...cargoArgs, "-Zbuild-std=std,panic_abort", "-Zbuild-std-features=optimize_for_size"], {
    ...profile,
    CARGO_TARGET_DIR: targetDir,
    RUSTFLAGS: [process.env.RUSTFLAGS, "-Zlocation-detail=none", "-Zfmt-debug=shallow"].filter(Boolean).join(" "),
  });
} else {
  if (!dev) console.log("(no nightly with rust-src: building with the stable standard library)");
  run("cargo", cargoArgs, profile);
}
const wasm = join(targetDir, `wasm32-unknown-unknown/${dev ? "debug" : "npm"}/ocireg_js.wasm`);

// 2. JS glue and types.
const version = execFileSync("wasm-bindgen", ["--version"]).toString().trim();
if (!version.endsWith(WASM_BINDGEN_VERSION)) {
  throw new Error(
    `wasm-bindgen ${WASM_BINDGEN_VERSION} is needed (found "${version}"): ` +
      `cargo install wasm-bindgen-cli --version ${WASM_BINDGEN_VERSION}`,
  );
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
run("wasm-bindgen", ["--target", "web", "--out-dir", dist, "--out-name", "ocireg", wasm]);

// 3. Size: binaryen's wasm-opt from npm.
const wasmOpt = join(pkg, "node_modules/.bin/wasm-opt");
const out = join(dist, "ocireg_bg.wasm");
const strip = names ? ["--debuginfo"] : ["--strip-debug", "--strip-producers"];
// `--monomorphize` specializes functions called with constant arguments
// where that makes the module smaller (about 200 bytes gzipped).
if (!dev) run(wasmOpt, ["-Oz", "--converge", "--monomorphize", "-Oz", ...strip, out, "-o", out]);

// 4. Entry points.
const publicNames = ["RegistryClient", "parseReference", "version"];
const internalNames = ["__panicForTests", "__panicLaterForTests"];
const exportLine = `export { ${[...publicNames, ...internalNames].join(", ")} } from "./ocireg.js";\n`;
writeFileSync(
  join(dist, "index.js"),
  `// Browsers and bundlers: the module is fetched next to this file.
import init from "./ocireg.js";
await init({ module_or_path: new URL("./ocireg_bg.wasm", import.meta.url) });
${exportLine}`,
);
writeFileSync(
  join(dist, "node.js"),
  `// Node: the module is read from disk.
import { readFileSync } from "node:fs";
import { initSync } from "./ocireg.js";
initSync({ module: readFileSync(new URL("./ocireg_bg.wasm", import.meta.url)) });
${exportLine}`,
);
writeFileSync(
  join(dist, "index.d.ts"),
  `export { ${publicNames.join(", ")} } from "./ocireg.js";
export type {
  ClientOptions, PingResult, ListOptions, PageOptions, Page, Manifest, ResolvedManifest,
  ManifestHead, PutResult, PushOutcome, PushResult, ProgressCallback, PullOptions,
  PushOptions, Descriptor, ReferrersOptions, ConfigSummary, PlatformSummary, ImageSummary,
  ParsedReference, ErrorCode, OciregError,
} from "./ocireg.js";
`,
);

const bytes = readFileSync(out);
// Non-wasm code leaking in shows up as imports from "env".
const envImports = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).filter((i) => i.module === "env");
if (envImports.length > 0) {
  throw new Error(`the module imports from "env": ${envImports.map((i) => i.name).join(", ")}`);
}
// The size budget is counted with `gzip -9` (GNU gzip, as the issues
// say); Node's zlib at level 9 packs this module about 1.5 KB larger, so
// both are printed.
const zlib = gzipSync(bytes, { level: 9 }).length;
let gnu = null;
try {
  gnu = execFileSync("gzip", ["-9", "-c", out], { maxBuffer: 64 << 20 }).length;
} catch {
  // No gzip binary: the zlib figure is what there is.
}
const gz = gnu ?? zlib;
console.log(
  `dist/ocireg_bg.wasm: ${statSync(out).size} bytes, ${gz} bytes gzipped with ${gnu === null ? "zlib -9" : "gzip -9"} (${(gz / 1024).toFixed(1)} KiB; zlib level 9: ${zlib})`,
);
