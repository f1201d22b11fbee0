// Starts the registry launcher (examples/web-ui/server, through cargo run)
// and returns what it printed: the URLs of each setup.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)), "../..");

/**
 * @param {{ setups?: string[], fillers?: number, port?: number }} options
 * @returns {Promise<{ info: any, stop: () => Promise<void> }>}
 */
export async function startRegistries({ setups = ["main"], fillers = 0, port } = {}) {
  const args = ["run", "--quiet", "-p", "ocireg-web-ui-server", "--",
    "--setups", setups.join(","), "--fillers", String(fillers), "--exit-on-stdin-eof"];
  if (port) args.push("--port", String(port));
  // stdin stays open: the launcher stops (and cleans up) when it closes,
  // even if this process dies without killing it.
  const child = spawn("cargo", args, { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  const line = await new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolveLine);
    child.once("exit", (code) => reject(new Error(`the registry launcher exited (${code}) before it was ready`)));
  });
  return {
    info: JSON.parse(line),
    stop: async () => {
      if (child.exitCode === null) {
        child.stdin.end();
        child.kill("SIGTERM");
      }
      await exited;
    },
  };
}
