/**
 * Keyed rendering of a list: each item keeps its element across updates (so open expanders, focus and
 * scroll position survive), new items are inserted where they belong and gone ones removed. Nothing
 * else in the container is touched.
 */
export interface Row<T> {
  el: HTMLElement;
  update(item: T): void;
  dispose?(): void;
}

export class KeyedList<T> {
  #rows = new Map<string, Row<T>>();
  readonly #container: HTMLElement;
  readonly #key: (item: T) => string;
  readonly #create: (item: T) => Row<T>;

  constructor(container: HTMLElement, key: (item: T) => string, create: (item: T) => Row<T>) {
    this.#container = container;
    this.#key = key;
    this.#create = create;
  }

  get size(): number {
    return this.#rows.size;
  }

  rows(): IterableIterator<Row<T>> {
    return this.#rows.values();
  }

  sync(items: readonly T[]): void {
    const next = new Map<string, Row<T>>();
    let cursor: ChildNode | null = this.#container.firstChild;
    for (const item of items) {
      const key = this.#key(item);
      if (next.has(key)) continue;
      let row = this.#rows.get(key);
      if (!row) row = this.#create(item);
      row.update(item);
      next.set(key, row);
      if (row.el === cursor) cursor = cursor.nextSibling;
      else this.#container.insertBefore(row.el, cursor);
    }
    for (const [key, row] of this.#rows) {
      if (next.has(key)) continue;
      row.el.remove();
      row.dispose?.();
    }
    this.#rows = next;
  }
}
