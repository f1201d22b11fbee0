// Turns the package's errors (`OciregError`: `code`, `status`,
// `registryErrors`, `scopes`) into messages a person can act on.

import type { OciregError } from "ocireg";
import { h } from "./dom.js";

export interface Context {
  /** The registry URL the user connected to. */
  url: string;
  /** Whether the user gave a password or token. */
  credentials: boolean;
  /** What was being done. */
  action: "connect" | "list repositories" | "list tags" | "read manifest" | "delete" | "read referrers";
  /** The repository, when there is one. */
  repository?: string;
}

export interface Explained {
  kind: "blocked" | "cors" | "network" | "auth" | "denied" | "not-found" | "unsupported" | "registry" | "other";
  title: string;
  detail: string;
  hints: string[];
}

function isOciregError(e: unknown): e is OciregError {
  return typeof e === "object" && e !== null && "code" in e && (e as { name?: unknown }).name === "OciregError";
}

function registryDetail(e: OciregError): string {
  const entries = e.registryErrors ?? [];
  if (entries.length === 0) return e.message;
  return entries.map((r) => `${r.code}: ${r.message}`).join("; ");
}

export function explain(error: unknown, ctx: Context): Explained {
  if (!isOciregError(error)) {
    return { kind: "other", title: "Something went wrong", detail: String((error as Error)?.message ?? error), hints: [] };
  }
  const e = error;
  switch (e.code) {
    case "BLOCKED":
      // A browser gives the same error for a CORS refusal and for a
      // registry that is down: `diagnose` tells them apart.
      return corsExplained(ctx, "blocked");
    case "NETWORK_ERROR":
      return networkExplained(ctx, e.message);
    case "TIMEOUT":
      return { ...networkExplained(ctx, e.message), title: "The registry stopped responding" };
    default:
      break;
  }
  return explainStatus(e, ctx);
}

function corsExplained(ctx: Context, kind: "blocked" | "cors"): Explained {
  const origin = location.origin;
  return {
        kind,
        title: "The browser blocked the registry's answers (CORS)",
        detail:
          `${ctx.url} answered, but not with the CORS headers that let a page from ${origin} read it. ` +
          `Browsers need the registry, or a proxy in front of it, to allow this origin.`,
        hints: [
          `Answer with Access-Control-Allow-Origin: ${origin} (or reflect the Origin header), on errors too.`,
          "Answer OPTIONS preflight requests with 204 itself: registries with auth answer them 401.",
          "Allow the headers Authorization, Accept, Content-Type, Range and the methods GET, HEAD, DELETE.",
          "Expose Docker-Content-Digest, WWW-Authenticate and Link (pagination) with Access-Control-Expose-Headers.",
        ],
  };
}

function networkExplained(ctx: Context, message: string): Explained {
  return {
    kind: "network",
    title: "Cannot reach the registry",
    detail: `No answer from ${ctx.url}${message ? `: ${message}` : "."}`,
    hints: [
      "Check the URL, including the scheme (http:// or https://) and the port.",
      location.protocol === "https:" && ctx.url.startsWith("http:")
        ? "This page is served over HTTPS: the browser refuses plain-HTTP registries (mixed content)."
        : "Is the registry (or its proxy) running?",
    ],
  };
}

function explainStatus(e: OciregError, ctx: Context): Explained {
  const status = e.status;
  switch (e.code) {
    case "UNAUTHORIZED": {
      const scopes = e.scopes ? ` (asked for ${e.scopes})` : "";
      if (!ctx.credentials) {
        return {
          kind: "auth",
          title: "This registry needs you to sign in",
          detail: `The registry answered 401 Unauthorized to an anonymous request${scopes}.`,
          hints: [
            "Disconnect and connect again with a username and password, or a token.",
            ctx.action === "list repositories"
              ? "Some registries let anonymous users pull but not list: open a repository by name below."
              : "",
          ].filter(Boolean),
        };
      }
      return {
        kind: "auth",
        title: "The registry refused these credentials",
        detail: `401 Unauthorized${scopes}: ${e.message}`,
        hints: ["Check the username and password (or the token, which may have expired).",
          "The account may lack the permission for this action."],
      };
    }
    default:
      break;
  }
  if (status === 401) {
    return { kind: "auth", title: "The registry refused these credentials", detail: registryDetail(e), hints: [] };
  }
  if (status === 403) {
    return {
      kind: "denied",
      title: ctx.action === "delete" ? "You may not delete here" : "Access denied",
      detail: `403 Forbidden: ${registryDetail(e)}`,
      hints: ["Your credentials are valid, but do not grant this action on this repository."],
    };
  }
  if (status === 405 || e.registryErrors?.some((r) => r.code === "UNSUPPORTED")) {
    return {
      kind: "unsupported",
      title: ctx.action === "delete" ? "This registry does not allow deleting" : "Not supported by this registry",
      detail: `${status ?? ""} ${registryDetail(e)}`.trim(),
      hints: ctx.action === "delete"
        ? ["Deletes are disabled in the registry's configuration (for distribution: storage.delete.enabled: true turns them on)."]
        : [],
    };
  }
  if (e.code === "NOT_FOUND" || status === 404) {
    const what = ctx.action === "list tags" ? `The repository ${ctx.repository ?? ""}` : "It";
    return {
      kind: "not-found",
      title: "Not found",
      detail: `${what} does not exist (any more) in this registry: ${registryDetail(e)}`,
      hints: ["It may have been deleted. Go back to the list and refresh."],
    };
  }
  if (e.code === "REGISTRY_ERROR") {
    return {
      kind: "registry",
      title: `The registry answered with an error${status ? ` (HTTP ${status})` : ""}`,
      detail: registryDetail(e),
      hints: status && status >= 500 ? ["This is the registry's own failure: its log will say more."] : [],
    };
  }
  return { kind: "other", title: `Could not ${ctx.action}`, detail: `${e.code}: ${e.message}`, hints: [] };
}

/**
 * Whether anything answers at `url`: a `no-cors` request succeeds (with an
 * opaque response) when a server answers, whatever its CORS headers, and
 * fails when nothing does.
 */
async function answers(url: string): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  try {
    const base = /^[a-z]+:\/\//i.test(url) ? url : `https://${url}`;
    await fetch(new URL("/v2/", base), { mode: "no-cors", cache: "no-store", credentials: "omit", signal: abort.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** `explain`, with a blocked request sorted into CORS or unreachable. */
export async function diagnose(error: unknown, ctx: Context): Promise<Explained> {
  const x = explain(error, ctx);
  if (x.kind !== "blocked") return x;
  return (await answers(ctx.url)) ? corsExplained(ctx, "cors") : networkExplained(ctx, "");
}

function fill(box: HTMLElement, x: Explained): void {
  box.className = `error-box ${x.kind}`;
  box.dataset.errorKind = x.kind;
  const actions = box.querySelector(":scope > .actions");
  box.replaceChildren(
    h("h2", null, x.title),
    h("p", null, x.detail),
    x.hints.length ? h("ul", null, x.hints.map((hint) => h("li", null, hint))) : "",
  );
  if (actions) box.append(actions);
}

/** An error panel: shown at once, refined when the cause needs a probe. */
export function errorBox(error: unknown, ctx: Context, ...actions: Node[]): HTMLElement {
  const x = explain(error, ctx);
  const box = h("section", { role: "alert" }, actions.length ? h("div", { class: "actions" }, actions) : null);
  fill(box, x);
  if (x.kind === "blocked") void diagnose(error, ctx).then((refined) => fill(box, refined));
  return box;
}
