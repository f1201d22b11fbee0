// `npm start` (or examples/web-ui/run): builds what is missing, starts a
// seeded local registry behind an nginx CORS proxy, serves the UI from
// another origin, and prints the URL to open. Ctrl-C stops everything.
//
//   --fillers N       extra small repositories (default 2000)
//   --setups LIST     main,basic,token,empty,readonly (default main)
//   --port P          the UI's port (default: a free one)
//   --registry-port P the main registry proxy's port (default: a free one)
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startRegistries } from "./registries.mjs";
import { startStaticServer } from "./serve.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};

execFileSync(process.execPath, [fileURLToPath(new URL("./build.mjs", import.meta.url)), "--server"], { stdio: "inherit" });

console.log("starting the registry and seeding it…");
const registries = await startRegistries({
  setups: arg("--setups", "main").split(","),
  fillers: Number(arg("--fillers", "2000")),
  port: arg("--registry-port") ? Number(arg("--registry-port")) : undefined,
});
const web = await startStaticServer({ port: Number(arg("--port", "0")) });
const { setups, repositories } = registries.info;
const first = setups.main ? "main" : Object.keys(setups)[0];
console.log("");
console.log(`  Open the UI:  ${web.url}/?registry=${encodeURIComponent(setups[first].url)}`);
console.log("");
for (const [name, s] of Object.entries(setups)) {
  const creds = s.username ? `  login ${s.username} / ${s.password}` : "";
  console.log(`  ${name.padEnd(8)} registry (CORS proxy) ${s.url}  ${repositories[name]} repositories  auth: ${s.auth}${creds}${s.deleteEnabled ? "" : "  (deletes disabled)"}`);
  console.log(`  ${"".padEnd(8)} without CORS headers  ${s.registry}`);
}
console.log("\n  Ctrl-C stops the UI and the registries.");

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all([web.close(), registries.stop()]);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
