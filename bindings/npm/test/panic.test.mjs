// A Rust panic reaches JavaScript as a readable OciregError with code
// PANIC, pending promises included, and poisons the module. Run in a child
// process: the module stays poisoned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const child = `
import { RegistryClient, __panicForTests, __panicLaterForTests } from "ocireg";
const out = {};
const pending = __panicLaterForTests("boom later");
try { await pending; } catch (e) { out.later = { name: e.name, code: e.code, message: e.message }; }
try { __panicForTests("boom now"); } catch (e) { out.now = { code: e.code, message: e.message }; }
try { await new RegistryClient({ url: "http://127.0.0.1:1" }).ping(); } catch (e) { out.after = { code: e.code }; }
console.log(JSON.stringify(out));
`;

test("a panic is a readable PANIC error", () => {
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", child], {
    cwd: new URL("..", import.meta.url),
    encoding: "utf8",
  });
  const line = run.stdout.trim().split("\n").at(-1);
  assert.ok(line, `no output; stderr: ${run.stderr}`);
  const out = JSON.parse(line);
  assert.equal(out.later.name, "OciregError");
  assert.equal(out.later.code, "PANIC");
  assert.match(out.later.message, /boom later/);
  // Once poisoned, every call fails the same readable way.
  assert.equal(out.now.code, "PANIC");
  assert.equal(out.after.code, "PANIC");
});
