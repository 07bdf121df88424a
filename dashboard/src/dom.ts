/**
 * @module A few lines instead of a framework: `h('p', { class: 'note' }, 'text', child)`.
 * Text goes in as text nodes, never as HTML, so no value from the data can become markup.
 */
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
export type Child = Node | string | number | false | null | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    // Through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
    else if (name === 'style') element.style.cssText = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElement {
  const element = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** A readable message where data should be: never a blank panel. */
export const notice = (text: string, kind: 'empty' | 'error' = 'empty'): HTMLElement =>
  h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : undefined }, text);

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
