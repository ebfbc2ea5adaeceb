// Lesson 1: reverse-mode autodiff, one vector-Jacobian product at a time.
import { explain, gradcheck, noGrad, tensor, topoSort, type Node, type Tensor } from '../lib/engine.js';
import { evaluate, parse, ParseError, variables, type Ast } from '../lib/expr.js';
import { fmt, h, num, setNum, timed } from '../lib/dom.js';

const PRESETS: { expr: string; values: Record<string, number>; note: string }[] = [
  { expr: 'a*b + tanh(a)', values: { a: 0.5, b: -1.5 }, note: 'a is used twice: its two gradients add up' },
  { expr: 'sigmoid(w*x + b)', values: { w: 1.2, x: 0.8, b: -0.3 }, note: 'one sigmoid neuron' },
  { expr: 'log(exp(a) + exp(b) + exp(c))', values: { a: 1, b: 0.54, c: 0 }, note: 'log Z: its gradient is the softmax (lesson 2)' },
  { expr: 'sqrt(x^2 + y^2)', values: { x: 3, y: 4 }, note: 'a norm: ∂/∂x = x/r' },
  { expr: 'relu(a - b) * c + max(a, c)^2 / 4', values: { a: 1, b: 0.3, c: 2 }, note: 'kinks: relu, max' },
];

type ExplainWithFormat = (t: Tensor, opts?: { format?: 'text' | 'svg' }) => string;

/** explain(y, { format: 'svg' }) when the engine has it, else null (the text format is used then). */
function explainSvg(y: Tensor): string | null {
  try {
    const out = (explain as unknown as ExplainWithFormat)(y, { format: 'svg' });
    return typeof out === 'string' && /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(out) ? out : null;
  } catch {
    return null;
  }
}

interface Graph {
  ast: Ast;
  vars: string[];
  leaves: Tensor[];
  y: Tensor;
  order: Tensor[];
  names: Map<Tensor, string>;
  lines: Map<Tensor, string>;
  /** Nodes with an op, in the order backward() applies their VJPs. */
  steps: Tensor[];
  svg: string | null;
}

export function mountBackward(root: HTMLElement): void {
  const values: Record<string, number> = { ...PRESETS[0].values };
  let graph: Graph | null = null;
  let done = 0; // VJPs applied
  let grads = new Map<Tensor, number>();
  let last: { node: Tensor; g: number; outs: (number | null)[] } | null = null;

  const custom = h('option', { value: 'custom', disabled: true }, 'your expression');
  const presetSelect = h('select', { 'aria-label': 'preset expressions' }, ...PRESETS.map((p, i) => h('option', { value: i }, p.expr)), custom);
  const note = h('div', { class: 'muted small' }, PRESETS[0].note);
  const exprInput = h('textarea', { rows: 2, spellcheck: false, 'aria-label': 'expression', 'data-expr': '' });
  exprInput.value = PRESETS[0].expr;
  const error = h('div', { class: 'error' });
  const varsBox = h('div', { class: 'vars' });
  const stepButton = h('button', { class: 'primary', 'data-action': 'step' }, 'Step ▸');
  const runButton = h('button', { 'data-action': 'run' }, 'Run all');
  const resetButton = h('button', { 'data-action': 'reset' }, 'Reset');
  const graphBox = h('div');
  const graphMode = h('span', { class: 'pill' });
  const stepBox = h('div', { class: 'stepbox' });
  const checkBox = h('div');

  root.append(
    h('div', { class: 'side' },
      h('h2', {}, 'Backward, step by step'),
      h('p', {}, 'The forward pass records every operation as a node. ', h('code', {}, 'backward()'), ' then visits the nodes in reverse topological order and applies each op\'s vector-Jacobian product (VJP): it multiplies the gradient arriving at the node\'s output by the op\'s local derivative and adds the result to the gradients of its inputs.'),
      h('div', { class: 'eq', html: '<span class="ref">chain rule</span>∂L/∂x = Σ<sub>out ∈ consumers(x)</sub> ∂L/∂out · ∂out/∂x' }),
      h('h3', {}, 'Expression'),
      h('div', { class: 'controls' }, presetSelect),
      note,
      exprInput,
      error,
      h('div', { class: 'muted small' }, 'Operators + − * / ^, functions exp log sqrt abs tanh sigmoid relu softplus square, max(a, b) min(a, b). Every name is an input.'),
      varsBox,
      h('div', { class: 'controls' }, stepButton, runButton, resetButton),
      h('p', { class: 'foot' }, 'The graph is the engine\'s own (', h('code', {}, 'explain(y)'), '); each step calls the op\'s registered ', h('code', {}, 'vjp'), ' and its derivative text comes from the same registry entry as the README\'s op table.'),
    ),
    h('div', { class: 'stage' },
      h('div', { class: 'card' }, h('div', { class: 'title' }, h('span', {}, 'The recorded graph (forward order; backward visits it bottom-up)'), graphMode), graphBox),
      stepBox,
      h('div', { class: 'card' }, h('div', { class: 'title' }, h('span', {}, 'Gradients: step by step, backward(), and gradcheck (central differences)')), checkBox),
    ),
  );

  function build(): void {
    let ast: Ast;
    try {
      ast = parse(exprInput.value);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      error.textContent = `Cannot parse: ${e.message}`;
      return;
    }
    const vars = variables(ast);
    if (vars.length === 0) {
      error.textContent = 'The expression needs at least one input (a name such as a or x).';
      return;
    }
    const bad = vars.find((v) => /^[xt]\d+$/.test(v));
    if (bad) {
      error.textContent = `'${bad}' looks like a node name of the graph; please use another input name.`;
      return;
    }
    error.textContent = '';
    for (const v of vars) if (!(v in values)) values[v] = 1;
    const leaves = vars.map((v) => {
      const t = tensor(values[v], { requiresGrad: true });
      t.name = v;
      return t;
    });
    const env = Object.fromEntries(vars.map((v, i) => [v, leaves[i]]));
    const y = evaluate(ast, env);
    if (!y.requiresGrad) {
      error.textContent = 'The output does not depend on any input.';
      return;
    }
    const order = topoSort(y); // inputs before outputs: explain's lines, and backward()'s order reversed
    const text = explain(y).split('\n');
    const names = new Map<Tensor, string>();
    const lines = new Map<Tensor, string>();
    order.forEach((t, i) => {
      const line = text[i] ?? '';
      const name = line.split(/\s+/)[0];
      names.set(t, name);
      lines.set(t, line.slice(name.length).trim());
    });
    const steps = [...order].reverse().filter((t) => t.ctx);
    graph = { ast, vars, leaves, y, order, names, lines, steps, svg: explainSvg(y) };
    renderVars();
    reset();
  }

  function renderVars(): void {
    if (!graph) return;
    varsBox.replaceChildren(
      ...graph.vars.map((v) => {
        const input = h('input', { type: 'number', step: 0.1, value: values[v], 'data-var': v, 'aria-label': `input ${v}` });
        input.addEventListener('change', () => {
          const x = Number(input.value);
          if (!Number.isFinite(x)) return;
          values[v] = x;
          timed('backward:input', build);
        });
        return h('label', {}, `${v} = `, input);
      }),
    );
  }

  function reset(): void {
    done = 0;
    last = null;
    grads = new Map(graph ? [[graph.y, 1]] : []);
    render();
  }

  function step(): void {
    if (!graph || done >= graph.steps.length) return;
    const t = graph.steps[done];
    const node = t.ctx as Node;
    const g = grads.get(t) ?? 0;
    const vjps = noGrad(() => node.op.vjp(tensor(new Array(t.size).fill(g)).reshape(t.shape), node.inputs, t, node.attrs, node.saved));
    const outs = node.inputs.map((x, i) => {
      const v = vjps[i];
      if (!x.requiresGrad || !v || node.op.nondiff?.includes(i)) return null;
      const gi = v.data[0];
      grads.set(x, Math.fround((grads.get(x) ?? 0) + gi));
      return gi;
    });
    last = { node: t, g, outs };
    done++;
    render();
  }

  function render(): void {
    if (!graph) return;
    const G = graph;
    const active = done < G.steps.length ? G.steps[done] : null;
    const finished = new Set(G.steps.slice(0, done));
    stepButton.disabled = active === null;
    runButton.disabled = active === null;
    // The graph: the engine's SVG when it has one, else explain's text as a table.
    const rows = h('table', { class: 'graph-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'node'), h('th', {}, 'explain(y)'), h('th', { class: 'n' }, 'value'), h('th', { class: 'n' }, '∂L/∂node so far'))),
      h('tbody', {}, ...G.order.map((t) => {
        const name = G.names.get(t)!;
        const cls = [t === active ? 'active' : '', finished.has(t) ? 'done' : '', t.ctx ? '' : 'leaf'].join(' ');
        const gr = grads.get(t);
        return h('tr', { class: cls, 'data-node': name },
          h('td', { class: 'mono' }, name),
          h('td', { class: 'mono' }, G.svg ? G.lines.get(t)!.replace(/ → \[\]$/, '') : G.lines.get(t)!),
          num(`backward.value.${name}`, t.data[0], 4, 'td'),
          gr === undefined ? h('td', { class: 'n muted' }, '·') : num(`backward.adjoint.${name}`, gr, 4, 'td'));
      })),
    );
    if (G.svg) {
      // The engine's picture of the graph, with the node whose VJP is next highlighted.
      graphMode.textContent = "explain(y, { format: 'svg' })";
      const picture = h('div', { class: 'svg-graph', html: G.svg });
      for (const [t, name] of G.names) {
        const el = picture.querySelector(`#node-${CSS.escape(name)}`);
        el?.classList.toggle('active', t === active);
        el?.classList.toggle('done', finished.has(t));
      }
      graphBox.className = 'graph-split';
      graphBox.replaceChildren(picture, rows);
    } else {
      graphMode.textContent = 'explain(y), text';
      graphBox.className = '';
      graphBox.replaceChildren(rows);
    }
    // The step just applied, or the one about to be.
    const shown = last;
    if (!shown) {
      stepBox.replaceChildren(
        h('div', { class: 'op' }, `seed: ∂L/∂${G.names.get(G.y)} = 1`),
        h('div', { class: 'muted' }, `L is the output ${G.names.get(G.y)} = `, num('backward.y', G.y.data[0]), `. Press Step to apply the first VJP (${G.steps.length} in all).`),
      );
    } else {
      const node = shown.node.ctx as Node;
      const name = G.names.get(shown.node)!;
      stepBox.replaceChildren(
        h('div', { class: 'op' }, `applied step ${done} of ${G.steps.length}: ${name} ${G.lines.get(shown.node)!.replace(/ → \[\]$/, '')}`),
        h('div', { class: 'deriv' }, node.op.derivative),
        h('table', {},
          h('tbody', {},
            h('tr', {}, h('td', { class: 'muted' }, 'in'), h('td', { class: 'mono' }, `∂L/∂${name}`), num('backward.step.g', shown.g, 5, 'td'), h('td', { class: 'muted small' }, 'the gradient arriving at the output')),
            ...node.inputs.map((x, i) => h('tr', {}, h('td', { class: 'muted' }, i === 0 ? 'inputs' : ''), h('td', { class: 'mono' }, G.names.get(x) ?? `const`), num(null, x.data[0], 5, 'td'), h('td', { class: 'muted small' }, x.requiresGrad ? '' : 'a constant: no gradient'))),
            ...node.inputs.map((x, i) => shown.outs[i] === null ? null : h('tr', {},
              h('td', { class: 'muted' }, i === shown.outs.findIndex((o) => o !== null) ? 'out' : ''),
              h('td', { class: 'mono' }, `∂L/∂${G.names.get(x)} +=`),
              num(`backward.step.out.${i}`, shown.outs[i]!, 5, 'td'),
              h('td', { class: 'muted small' }, `now ${fmt(grads.get(x)!, 5)}`))).filter((r): r is HTMLTableRowElement => r !== null),
          ),
        ),
        h('div', { class: 'small muted', style: 'margin-top:4px' }, active ? `Next (highlighted): ${G.names.get(active)} ${G.lines.get(active)!.replace(/ → \[\]$/, '')}, whose gradient is now complete: every consumer has added its share.` : 'Done: every leaf holds its gradient.'),
      );
    }
    renderCheck(G);
  }

  function renderCheck(G: Graph): void {
    // backward() on a fresh graph, and gradcheck on the same function.
    const fn = (...xs: Tensor[]) => evaluate(G.ast, Object.fromEntries(G.vars.map((v, i) => [v, xs[i]])));
    const fresh = G.vars.map((v) => tensor(values[v], { requiresGrad: true }));
    const y = fn(...fresh);
    y.backward();
    const check = gradcheck(fn, G.vars.map((v) => tensor(values[v])));
    const eps = 1e-2;
    const numeric = G.vars.map((_, i) => noGrad(() => {
      const at = (d: number) => fn(...G.vars.map((v, j) => tensor(values[v] + (i === j ? d : 0)))).data[0];
      return (at(eps) - at(-eps)) / (2 * eps);
    }));
    const complete = done === G.steps.length;
    checkBox.replaceChildren(
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'input'), h('th', { class: 'n' }, 'value'), h('th', { class: 'n' }, 'steps above'), h('th', { class: 'n' }, 'y.backward()'), h('th', { class: 'n' }, `central difference (ε = ${eps})`))),
        h('tbody', {}, ...G.vars.map((v, i) => {
          const mine = grads.get(G.leaves[i]);
          return h('tr', {},
            h('td', { class: 'mono' }, v),
            num(null, Math.fround(values[v]), 4, 'td'),
            complete ? num(`backward.grad.${v}`, mine ?? 0, 6, 'td') : h('td', { class: 'n muted' }, mine === undefined ? '·' : `${fmt(mine, 6)} …`),
            num(`backward.backward.${v}`, fresh[i].grad?.data[0] ?? 0, 6, 'td'),
            num(null, numeric[i], 6, 'td'));
        })),
      ),
      h('p', { class: 'small', style: 'margin-top:6px' },
        h('code', {}, 'gradcheck(f, inputs)'), ': ',
        h('span', { class: check.ok ? 'ok' : 'fail', 'data-q': 'backward.gradcheck', 'data-value': String(check.ok) }, check.ok ? 'passes' : 'fails'),
        ` (worst |analytic − numeric| is ${fmt(check.worstRatio, 3)} of its tolerance atol + rtol·|numeric|; max relative error ${fmt(check.maxRelError, 3)}).`,
        complete ? h('span', { class: 'badge-eq', 'data-q': 'backward.complete' }, ' All VJPs applied: the step-by-step gradients are backward()\'s.') : ` ${G.steps.length - done} VJP${G.steps.length - done === 1 ? '' : 's'} to go.`,
      ),
    );
  }

  presetSelect.addEventListener('change', () => {
    const p = PRESETS[Number(presetSelect.value)];
    exprInput.value = p.expr;
    note.textContent = p.note;
    Object.assign(values, p.values);
    timed('backward:preset', build);
  });
  let typing: ReturnType<typeof setTimeout> | undefined;
  exprInput.addEventListener('input', () => {
    clearTimeout(typing);
    presetSelect.value = PRESETS.some((p) => p.expr === exprInput.value.trim()) ? String(PRESETS.findIndex((p) => p.expr === exprInput.value.trim())) : 'custom';
    note.textContent = '';
    typing = setTimeout(() => timed('backward:expr', build), 250);
  });
  stepButton.addEventListener('click', () => timed('backward:step', step));
  runButton.addEventListener('click', () => timed('backward:run', () => { while (graph && done < graph.steps.length) step(); }));
  resetButton.addEventListener('click', () => reset());
  build();
  void setNum;
}
