// Compiled (not run) by `npm run typecheck`: the generated .d.ts must
// describe the API the README promises. Every line is a use a UI makes.
import {
  RegistryClient,
  parseReference,
  version,
  type ClientOptions,
  type ErrorCode,
  type ImageSummary,
  type Manifest,
  type OciregError,
  type Page,
  type PushResult,
} from "ocireg";

export async function tour(options: ClientOptions): Promise<void> {
  const client = new RegistryClient(options);
  const url: string = client.url;
  const ok: boolean = (await client.ping()).apiVersionOk;

  for await (const repo of client.repositories({ pageSize: 50 })) {
    const name: string = repo;
    for await (const tag of client.tags(name)) {
      const s: ImageSummary = await client.summary(name, tag);
      const platforms: (string | undefined)[] = s.platforms.map((p) => p.platform);
      const created: string | undefined = s.created ?? s.platforms[0]?.config?.created;
      const size: number = s.totalSize;
      console.log(url, ok, platforms, created, size);
    }
  }
  const page: Page = await client.catalogPage({ pageSize: 10 });
  if (page.next !== null) await client.catalogPage({ pageSize: 10, next: page.next });
  const tags: string[] = await client.listTags("team/app");

  const m: Manifest = await client.getManifest("team/app", tags[0] ?? "latest");
  const mediaType: string = m.mediaType;
  const head = await client.headManifest("team/app", m.digest);
  const sameDigest: boolean = head.digest === m.digest;
  const resolved = await client.resolve("team/app", "latest", "linux/arm64/v8");
  const index: string | undefined = resolved.indexDigest;
  const config: unknown = await client.imageConfig("team/app", "latest");

  const blob: Uint8Array = await client.pullBlob("team/app", m.digest, {
    size: m.size,
    onProgress: (done: number, total: number | undefined) => console.log(done, total),
  });
  const pushed: PushResult = await client.pushBlob("team/app", blob, { chunkSize: 1 << 20 });
  const fromFile: PushResult = await client.pushBlob("team/app", new Blob(["layer bytes"]));
  const outcome: "uploaded" | "exists" | "mounted" | "notMounted" = pushed.outcome;
  await client.mountBlob("other/app", pushed.digest, "team/app");
  const size: number | null = await client.headBlob("team/app", fromFile.digest);
  await client.putManifest("team/app", "v2", m.text, m.mediaType);
  await client.putManifest("team/app", "v3", m.manifest);
  const referrers = await client.referrers("team/app", m.digest, { artifactType: "application/spdx+json" });
  const firstType: string | undefined = referrers[0]?.artifactType;
  const ofTag = await client.referrers("team/app", "v2");
  console.log(ofTag.length);
  const deleted: string = await client.deleteManifest("team/app", "v2");
  await client.deleteBlob("team/app", pushed.digest);
  console.log(mediaType, sameDigest, index, config, outcome, size, firstType, deleted);

  const r = parseReference("alpine:3.20");
  const path: string = r.path;
  const tag: string | undefined = r.tag;
  console.log(path, tag, version());

  try {
    await client.getManifest("team/app", "missing");
  } catch (e) {
    const err = e as OciregError;
    if (err.code === "NOT_FOUND" || err.status === 404) console.log(err.message, err.registryErrors);
    const tooMany: ErrorCode = "TOO_MANY";
    if (err.code === tooMany) console.log("a listing past its bound");
  }
  client.free();
}
