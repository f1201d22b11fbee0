// Shared by the node:test files: the servers `scripts/wasm-tests` started
// (through crates/ocireg-wasm/examples/test-servers.rs) and small helpers.
import { createHash } from "node:crypto";

export function server(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the JS tests through scripts/wasm-tests`);
  }
  return value;
}

export const NOAUTH = () => server("OCIREG_WASM_NOAUTH");
export const HIDDEN = () => server("OCIREG_WASM_HIDDEN");
export const TOKEN = () => server("OCIREG_WASM_TOKEN");
export const BASIC = () => server("OCIREG_WASM_BASIC");
export const USER = () => ({
  username: server("OCIREG_WASM_USER"),
  password: server("OCIREG_WASM_PASSWORD"),
});

export function sha256(bytes) {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** A repository no other run uses (the registries are shared). */
export function freshRepo(what) {
  return `js-${what}/r${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
}

export async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}
