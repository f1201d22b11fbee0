// A virtual list: only the rows in view (plus a few) are in the DOM, so
// tens of thousands of repositories scroll and filter without lag.

export class VirtualList<T> {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: T[] = [];
  private frame = 0;
  private rendered = "";

  constructor(
    private readonly rowHeight: number,
    private readonly renderRow: (item: T, index: number) => HTMLElement,
    label: string,
  ) {
    this.element = document.createElement("div");
    this.element.className = "vlist";
    this.element.setAttribute("role", "list");
    this.element.setAttribute("aria-label", label);
    this.element.tabIndex = 0;
    this.spacer = document.createElement("div");
    this.spacer.className = "vlist-spacer";
    this.element.appendChild(this.spacer);
    this.element.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  setItems(items: T[], resetScroll = false): void {
    this.items = items;
    this.rendered = "";
    this.spacer.style.height = `${items.length * this.rowHeight}px`;
    if (resetScroll) this.element.scrollTop = 0;
    this.render();
  }

  get length(): number {
    return this.items.length;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const height = this.element.clientHeight || 600;
    const overscan = 8;
    const first = Math.max(0, Math.floor(this.element.scrollTop / this.rowHeight) - overscan);
    const last = Math.min(this.items.length, Math.ceil((this.element.scrollTop + height) / this.rowHeight) + overscan);
    const key = `${first}:${last}:${this.items.length}`;
    if (key === this.rendered) return;
    this.rendered = key;
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.renderRow(this.items[i], i);
      row.style.transform = `translateY(${i * this.rowHeight}px)`;
      row.style.height = `${this.rowHeight}px`;
      row.classList.add("vlist-row");
      row.setAttribute("role", "listitem");
      rows.push(row);
    }
    this.spacer.replaceChildren(...rows);
  }
}
