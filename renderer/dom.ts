/**
 * Small DOM helpers. Text from the agent (task text, output, file names) comes from remote parties, so it
 * only ever enters the page through textContent and attributes, never as markup.
 */
type AttrValue = string | boolean | undefined;

/** Creates an element; `class` and `text` are shorthands, every other key is an attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') e.className = String(value);
    else if (name === 'text') e.textContent = String(value);
    else e.setAttribute(name, value === true ? '' : value);
  }
  e.append(...children);
  return e;
}

/** Sets text only when it changed (no layout work for an unchanged value). */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttr(e: Element, name: string, value: string | null): void {
  if (value === null) {
    if (e.hasAttribute(name)) e.removeAttribute(name);
  } else if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

export function show(e: HTMLElement, visible: boolean): void {
  if (e.hidden === visible) e.hidden = !visible;
}

export function setDisabled(e: HTMLButtonElement | HTMLSelectElement, disabled: boolean): void {
  if (e.disabled !== disabled) e.disabled = disabled;
}

/** Replaces the element's state class from a family (`prefix-*`) with `prefix-value`. */
export function setVariant(e: Element, prefix: string, value: string): void {
  const want = `${prefix}-${value}`;
  if (e.classList.contains(want)) return;
  for (const c of [...e.classList]) if (c.startsWith(`${prefix}-`)) e.classList.remove(c);
  e.classList.add(want);
}
