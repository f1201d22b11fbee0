// A tiny DOM helper: elements are built with properties and children, never
// from HTML strings (names and labels come from the registry).

type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown> & { class?: string; dataset?: Record<string, string> };

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key in el && !key.includes("-")) {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const child of children.flat(Infinity as 1) as Child[]) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let toastTimer: number | undefined;

export function toast(message: string, kind: "ok" | "error" = "ok"): void {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = message;
  el.className = `toast ${kind}`;
  el.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.hidden = true), 4000);
}

async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Older browsers, or a page that is not a secure context.
    const area = h("textarea", { value: text, readOnly: true, class: "offscreen" });
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/** A button that copies `text`, and says so. */
export function copyButton(text: string, label = "Copy"): HTMLButtonElement {
  const button = h("button", {
    type: "button",
    class: "copy",
    title: `Copy ${text}`,
    "aria-label": `Copy ${text}`,
    dataset: { copy: text },
  }, label);
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    event.stopPropagation();
    await writeClipboard(text);
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(() => {
      button.textContent = label;
      button.classList.remove("copied");
    }, 1500);
  });
  return button;
}

/** A command line with its copy button. */
export function command(text: string, testId?: string): HTMLElement {
  return h("div", { class: "command", "data-testid": testId }, h("code", null, text), copyButton(text));
}
