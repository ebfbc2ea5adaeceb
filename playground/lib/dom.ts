// Small DOM helpers shared by the lessons.

type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** Creates an element: h('div', { class: 'x', onclick: fn }, child, 'text', …). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'html') el.innerHTML = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** A number for the page: fixed digits, a minus sign, and −0 shown as 0. */
export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2).replace('-', '−');
  const s = v.toFixed(digits);
  return (/^-0\.?0*$/.test(s) ? s.slice(1) : s).replace('-', '−');
}

/**
 * A number cell: the text shows `digits` decimals, `data-q` names the quantity and `data-value`
 * holds it exactly (the float32 value as a double), for the tests to compare with Node.
 */
export function num(q: string | null, v: number, digits = 4, tag: 'td' | 'span' = 'span'): HTMLElement {
  const el = h(tag, { class: tag === 'td' ? 'n' : 'num' }, fmt(v, digits));
  setNum(el, q, v);
  return el;
}

export function setNum(el: HTMLElement, q: string | null, v: number, digits?: number): void {
  if (q) el.dataset.q = q;
  el.dataset.value = String(v);
  if (digits !== undefined) el.textContent = fmt(v, digits);
}

/** A table from header cells and rows (cells are strings or elements). */
export function table(head: (string | HTMLElement)[], rows: (string | HTMLElement)[][], cls = ''): HTMLTableElement {
  const cell = (tag: 'th' | 'td', c: string | HTMLElement) => (typeof c === 'string' ? h(tag, {}, c) : c.tagName === 'TD' || c.tagName === 'TH' ? c : h(tag, {}, c));
  return h('table', { class: cls }, h('thead', {}, h('tr', {}, ...head.map((c) => cell('th', c)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => cell('td', c))))));
}

export interface Slider {
  input: HTMLInputElement;
  value: () => number;
  set: (v: number) => void;
}

/** One row of a `.sliders` grid: label, range input, live value. */
export function slider(grid: HTMLElement, label: string, { min, max, step, value, q, onInput }: { min: number; max: number; step: number; value: number; q: string; onInput: () => void }): Slider {
  const input = h('input', { type: 'range', min, max, step, value, 'data-slider': q, 'aria-label': label });
  const out = h('output', {}, fmt(value, 2));
  const sync = () => (out.textContent = fmt(Number(input.value), 2));
  input.addEventListener('input', () => {
    sync();
    onInput();
  });
  grid.append(h('label', { html: label }), input, out);
  return { input, value: () => Number(input.value), set: (v: number) => { input.value = String(v); sync(); } };
}

/** Records how long each update of a lesson takes (read by the timing script, shown nowhere). */
export function timed<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const done = () => {
    const w = window as unknown as { playgroundTimings?: { label: string; ms: number }[] };
    (w.playgroundTimings ??= []).push({ label, ms: performance.now() - t0 });
  };
  if (out instanceof Promise) void out.then(done);
  else done();
  return out;
}
