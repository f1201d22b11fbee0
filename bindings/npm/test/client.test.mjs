// The built package (`npm run build`) in Node 20, against the real
// registries behind nginx CORS proxies.
import { test } from "node:test";
import assert from "node:assert/strict";

import { RegistryClient, parseReference, version } from "ocireg";
import { BASIC, HIDDEN, NOAUTH, TOKEN, USER, collect, freshRepo, server, sha256 } from "./helpers.mjs";

const HELLO = () => server("OCIREG_WASM_HELLO_DIGEST");
const MULTI = () => server("OCIREG_WASM_MULTI_DIGEST");

test("parseReference normalizes like docker", () => {
  const r = parseReference("alpine:3.20");
  assert.equal(r.reference, "docker.io/library/alpine:3.20");
  assert.equal(r.familiar, "alpine:3.20");
  assert.equal(r.path, "library/alpine");
  assert.equal(r.registryHost, "registry-1.docker.io");
  assert.equal(r.tag, "3.20");
  assert.equal(r.digest, undefined);
  assert.throws(() => parseReference("library/Alpine"), (e) => e.code === "INVALID_REFERENCE" && e.name === "OciregError");
  assert.match(version(), /^\d+\.\d+\.\d+/);
});

test("options are checked with readable errors", () => {
  assert.throws(() => new RegistryClient({}), { code: "INVALID_INPUT", message: /options.url is required/ });
  assert.throws(() => new RegistryClient({ url: "http://h/v2/" }), { code: "INVALID_INPUT", message: /no path/ });
  assert.throws(() => new RegistryClient({ url: "http://h", username: "u" }), { code: "INVALID_INPUT" });
  assert.throws(() => new RegistryClient({ url: 5 }), { code: "INVALID_INPUT", message: /options.url must be a string/ });
  assert.equal(new RegistryClient({ url: NOAUTH() }).url, NOAUTH());
});

test("ping", async () => {
  const info = await new RegistryClient({ url: NOAUTH() }).ping();
  assert.deepEqual(info, { apiVersionOk: true });
});

test("repositories page through Link, and through last= when Link is hidden", async () => {
  const withLink = await collect(new RegistryClient({ url: NOAUTH() }).repositories({ pageSize: 2 }));
  const withoutLink = await collect(new RegistryClient({ url: HIDDEN() }).repositories({ pageSize: 2 }));
  assert.deepEqual(withoutLink, withLink);
  const pages = Number(server("OCIREG_WASM_PAGE_REPOS"));
  for (let i = 0; i < pages; i++) assert.ok(withLink.includes(`page/r${String(i).padStart(2, "0")}`));
  assert.deepEqual(await new RegistryClient({ url: NOAUTH() }).listRepositories(), withLink);

  const client = new RegistryClient({ url: HIDDEN() });
  let page = await client.catalogPage({ pageSize: 2 });
  const paged = [...page.items];
  while (page.next) {
    assert.match(page.next, /last=/);
    page = await client.catalogPage({ pageSize: 2, next: page.next });
    paged.push(...page.items);
  }
  assert.deepEqual(paged, withLink);
});

test("breaking out of a listing stops it", async () => {
  const client = new RegistryClient({ url: NOAUTH() });
  const it = client.repositories({ pageSize: 1 });
  for await (const repo of it) {
    assert.equal(typeof repo, "string");
    break;
  }
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  assert.deepEqual(await collect(client.tags("demo/hello")), ["v1"]);
  assert.deepEqual(await client.listTags("demo/multi"), ["v1"]);
});

// Registry 2.8.2 ignores n on tag lists (every tag, unsorted, no Link).
const TAGS = ["b", "c", "e", "a", "d", "v1.10", "v1.9", "latest", "0"];

/** The same items, each once, in any order. */
function assertEachOnce(got, want, what) {
  assert.equal(got.length, want.length, `${what}: ${JSON.stringify(got)}`);
  assert.deepEqual(new Set(got), new Set(want), what);
}

test("tags: each exactly once with page sizes 1, 2 and 1000, listed or iterated", async () => {
  const client = new RegistryClient({ url: NOAUTH() });
  const repo = freshRepo("tags");
  const configText = JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } });
  const config = await client.pushBlob(repo, new Blob([configText]));
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
    layers: [],
  };
  for (const tag of TAGS) await client.putManifest(repo, tag, manifest);

  const page = await client.tagsPage(repo, { pageSize: 2 });
  assertEachOnce(page.items, TAGS, "one page of pageSize 2");
  assert.equal(page.next, null);
  for (const url of [NOAUTH(), HIDDEN()]) {
    const c = new RegistryClient({ url });
    assertEachOnce(await c.listTags(repo), TAGS, `${url} listTags`);
    // TAGS.length: a full page, so last= asks again and gets the same tags.
    for (const pageSize of [1, 2, 1000, TAGS.length]) {
      assertEachOnce(await collect(c.tags(repo, { pageSize })), TAGS, `${url} tags pageSize ${pageSize}`);
    }
  }
});

test("repositories: each exactly once with page sizes 1, 2 and 1000, listed or iterated", async () => {
  const all = await new RegistryClient({ url: NOAUTH() }).listRepositories();
  assert.ok(all.length > 2, JSON.stringify(all));
  assert.equal(new Set(all).size, all.length);
  for (const url of [NOAUTH(), HIDDEN()]) {
    const c = new RegistryClient({ url });
    assertEachOnce(await c.listRepositories(), all, `${url} listRepositories`);
    for (const pageSize of [1, 2, 1000]) {
      assertEachOnce(await collect(c.repositories({ pageSize })), all, `${url} repositories pageSize ${pageSize}`);
    }
  }
});

test("manifests are verified, with or without Docker-Content-Digest", async () => {
  for (const url of [NOAUTH(), HIDDEN()]) {
    const client = new RegistryClient({ url });
    const m = await client.getManifest("demo/hello", "v1");
    assert.equal(m.digest, HELLO());
    assert.equal(m.digest, sha256(m.text));
    assert.equal(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(m.manifest.schemaVersion, 2);
    assert.equal(m.size, Buffer.byteLength(m.text));
    const head = await client.headManifest("demo/multi", "v1");
    assert.equal(head.digest, MULTI());
    const resolved = await client.resolve("demo/multi", "v1", "linux/arm64/v8");
    assert.equal(resolved.platform, "linux/arm64/v8");
    assert.equal(resolved.indexDigest, MULTI());
    const config = await client.imageConfig("demo/multi", "v1", "linux/arm64/v8");
    assert.equal(config.architecture, "arm64");
  }
});

test("missing things are NOT_FOUND with the registry's error", async () => {
  const client = new RegistryClient({ url: NOAUTH() });
  await assert.rejects(client.getManifest("demo/hello", "nope"), (e) => {
    assert.equal(e.name, "OciregError");
    assert.equal(e.code, "NOT_FOUND");
    assert.equal(e.status, 404);
    assert.equal(e.registryErrors[0].code, "MANIFEST_UNKNOWN");
    return true;
  });
  assert.equal(await client.headBlob("demo/hello", "sha256:" + "0".repeat(64)), null);
  await assert.rejects(client.pullBlob("demo/hello", "sha256:nothex"), { code: "INVALID_INPUT" });
});

test("summary lists every platform with its config", async () => {
  const s = await new RegistryClient({ url: HIDDEN(), maxConcurrency: 2 }).summary("demo/multi", "v1");
  assert.equal(s.digest, MULTI());
  assert.equal(s.isIndex, true);
  assert.deepEqual(s.platforms.map((p) => p.platform), ["linux/amd64", "linux/arm64/v8"]);
  assert.equal(s.created, "2024-01-01T00:00:00Z");
  assert.ok(s.totalSize > 0);
  assert.equal(s.totalSize, s.platforms.reduce((n, p) => n + p.size, 0));
  for (const p of s.platforms) {
    assert.equal(p.layers, 2);
    assert.equal(p.layerDetails.length, 2);
    assert.ok(p.layerDetails.every((l) => l.digest.startsWith("sha256:") && l.size > 0));
    assert.ok(p.layerDetails.reduce((n, l) => n + l.size, 0) < p.size, "config size is counted too");
    assert.deepEqual(p.config.cmd, ["/bin/sh"]);
    assert.deepEqual(p.config.env, ["PATH=/usr/bin:/bin"]);
  }
});

test("blobs are pulled verified, with progress", async () => {
  const client = new RegistryClient({ url: NOAUTH() });
  const { manifest } = await client.getManifest("demo/hello", "v1");
  const layer = manifest.layers[0];
  const seen = [];
  const bytes = await client.pullBlob("demo/hello", layer.digest, {
    size: layer.size,
    onProgress: (done, total) => seen.push([done, total]),
  });
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(bytes.length, layer.size);
  assert.equal(sha256(bytes), layer.digest);
  assert.deepEqual(seen.at(-1), [layer.size, layer.size]);
  await assert.rejects(client.pullBlob("demo/hello", layer.digest, { size: layer.size + 1 }), { code: "SIZE_MISMATCH" });
});

async function pushRoundTrip(client) {
  const repo = freshRepo("push");
  const layer = new Uint8Array(150_000).map((_, i) => (i * 13) % 251);
  const chunked = await client.pushBlob(repo, layer, { chunkSize: 50_000 });
  assert.deepEqual(chunked, { digest: sha256(layer), size: layer.length, outcome: "uploaded" });
  assert.equal((await client.pushBlob(repo, layer)).outcome, "exists");

  const configText = JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } });
  const config = await client.pushBlob(repo, new Blob([configText]));
  assert.equal(config.digest, sha256(configText));

  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: chunked.digest, size: layer.length }],
  };
  const put = await client.putManifest(repo, "t1", manifest);
  assert.equal(put.digest, sha256(JSON.stringify(manifest)));
  assert.deepEqual(await client.listTags(repo), ["t1"]);
  const back = await client.getManifest(repo, "t1");
  assert.equal(back.text, JSON.stringify(manifest));

  const other = freshRepo("mount");
  assert.equal(await client.mountBlob(other, chunked.digest, repo), "mounted");
  assert.equal(await client.headBlob(other, chunked.digest), layer.length);
  assert.deepEqual(await client.referrers(repo, put.digest), []);
  assert.deepEqual(await client.referrers(repo, "t1"), [], "a tag is resolved first");

  assert.equal(await client.deleteManifest(repo, "t1"), put.digest);
  await assert.rejects(client.getManifest(repo, "t1"), { code: "NOT_FOUND" });
  await client.deleteBlob(other, chunked.digest);
  assert.equal(await client.headBlob(other, chunked.digest), null);
}

test("an image config that is not JSON is a PROTOCOL_ERROR, not a SyntaxError", async () => {
  const client = new RegistryClient({ url: NOAUTH() });
  const repo = freshRepo("badconfig");
  const config = await client.pushBlob(repo, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
    layers: [],
  };
  await client.putManifest(repo, "t1", manifest);
  await assert.rejects(client.imageConfig(repo, "t1"), { name: "OciregError", code: "PROTOCOL_ERROR" });
});

test("push, mount, delete without auth", () => pushRoundTrip(new RegistryClient({ url: NOAUTH() })));
test("push when Docker-Content-Digest and Link are hidden", () => pushRoundTrip(new RegistryClient({ url: HIDDEN() })));

test("token auth with the realm behind the proxy", async () => {
  const anonymous = new RegistryClient({ url: TOKEN() });
  assert.equal((await anonymous.getManifest("demo/hello", "v1")).digest, HELLO());
  await assert.rejects(anonymous.listRepositories(), (e) => e.code === "UNAUTHORIZED" && /catalog/.test(e.scopes));
  const user = new RegistryClient({ url: TOKEN(), ...USER() });
  assert.ok((await user.listRepositories()).includes("demo/multi"));
  await pushRoundTrip(user);
  assert.equal((await user.summary("demo/multi", "v1")).platforms.length, 2);
});

test("basic auth", async () => {
  const user = new RegistryClient({ url: BASIC(), ...USER() });
  assert.deepEqual(await user.listTags("demo/hello"), ["v1"]);
  await assert.rejects(new RegistryClient({ url: BASIC(), username: "testuser", password: "wrong" }).ping(), {
    code: "UNAUTHORIZED",
    message: /refused/,
  });
});

test("a closed port is a NETWORK_ERROR", async () => {
  await assert.rejects(new RegistryClient({ url: server("OCIREG_WASM_CLOSED") }).ping(), { code: "NETWORK_ERROR" });
});

test("stallTimeoutMs ends a request to a registry that stopped responding with TIMEOUT", async () => {
  const url = server("OCIREG_WASM_STALL");
  assert.throws(() => new RegistryClient({ url, stallTimeoutMs: 0 }), { code: "INVALID_INPUT", message: /stall timeout/ });
  const client = new RegistryClient({ url, stallTimeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(client.getManifest("stall/drip", "v1"), {
    code: "TIMEOUT",
    message: /the registry stopped responding \(no progress for 0\.3 s\)/,
  });
  // Four attempts, each given up after its window.
  assert.ok(Date.now() - started >= 1200, `${Date.now() - started} ms`);
});
