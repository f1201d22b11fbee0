// Formatting and sorting helpers.

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** `2024-06-15 14:30 UTC`, or the input when it is not a date. */
export function date(s: string | null | undefined): string {
  if (!s) return "–";
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return "–";
  const [alg, hex] = digest.split(":");
  return hex ? `${alg}:${hex.slice(0, 12)}` : digest;
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Natural order: `v2` before `v10`. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** `host[:port]` of a registry URL, as `docker pull` wants it. */
export function registryHost(url: string): string {
  try {
    return new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`).host;
  } catch {
    return url.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
  }
}

/** Tags of the referrers tag schema (`sha256-<hex>`), made by tools that
 *  attach signatures and SBOMs to registries without a referrers API. */
export function isReferrersTag(tag: string): boolean {
  return /^sha(256|512)-[0-9a-f]{64,128}$/.test(tag);
}

export function platformName(p: { os: string; architecture: string; variant?: string } | undefined): string {
  if (!p) return "";
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}
