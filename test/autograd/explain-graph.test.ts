// explain(y, { format: 'dot' | 'svg' }): the pictures of the recorded graph. The DOT is parsed by a
// small parser here and compared with the text format (names, one edge per argument), the SVG is
// checked for well-formedness and one <g class="node"> per node; derivative texts must be the
// registry's, gradient norms appear after backward() only, and big graphs collapse. Each checker
// is also run on a planted bug (a dropped edge, a bad escape, a lost tag) and must catch it.
import { describe, expect, it } from 'vitest';
import { explain, F, linear, randn, registry, Rng, tensor, type Tensor } from '../../src/index.js';

// ---------------------------------------------------------------------------------------------
// A small DOT parser: statements `id [attrs];`, `id -> id [attrs];`, `graph|node|edge [attrs];`.

interface Dot {
  nodes: Map<string, Record<string, string>>;
  edges: { from: string; to: string; attrs: Record<string, string> }[];
}

function tokenize(dot: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < dot.length) {
    const c = dot[i];
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= dot.length) throw new Error('unterminated string');
        const d = dot[i];
        if (d === '\n') throw new Error('raw newline inside a quoted string');
        if (d === '\\') {
          const e = dot[i + 1];
          if (e === '"' || e === '\\') s += e;
          else if (e === 'n') s += '\n';
          else throw new Error(`unknown escape \\${e}`);
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          s += d;
          i++;
        }
      }
      tokens.push(`"${s}`); // a leading quote marks a string token
    } else if (dot.startsWith('->', i)) {
      tokens.push('->');
      i += 2;
    } else if ('{}[];=,'.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*|^-?[0-9.]+/.exec(dot.slice(i));
      if (!m) throw new Error(`unexpected character ${c}`);
      tokens.push(m[0]);
      i += m[0].length;
    }
  }
  return tokens;
}

function parseDot(dot: string): Dot {
  const t = tokenize(dot);
  let i = 0;
  const next = () => {
    if (i >= t.length) throw new Error('unexpected end');
    return t[i++];
  };
  const expectTok = (s: string) => {
    const got = next();
    if (got !== s) throw new Error(`expected ${s}, got ${got}`);
  };
  const id = () => {
    const s = next();
    if (!s.startsWith('"') && !/^[A-Za-z_0-9]/.test(s)) throw new Error(`expected an id, got ${s}`);
    return s.startsWith('"') ? s.slice(1) : s;
  };
  const attrs = (): Record<string, string> => {
    const a: Record<string, string> = {};
    if (t[i] !== '[') return a;
    i++;
    while (t[i] !== ']') {
      const k = id();
      expectTok('=');
      if (k in a) throw new Error(`attribute ${k} twice`);
      a[k] = id();
      if (t[i] === ',') i++;
    }
    i++;
    return a;
  };
  expectTok('digraph');
  id();
  expectTok('{');
  const out: Dot = { nodes: new Map(), edges: [] };
  while (t[i] !== '}') {
    if (['graph', 'node', 'edge'].includes(t[i])) {
      i++;
      attrs();
    } else {
      const a = id();
      if (t[i] === '->') {
        i++;
        const b = id();
        out.edges.push({ from: a, to: b, attrs: attrs() });
      } else {
        if (out.nodes.has(a)) throw new Error(`node ${a} declared twice`);
        out.nodes.set(a, attrs());
      }
    }
    expectTok(';');
  }
  expectTok('}');
  if (i !== t.length) throw new Error('text after the closing brace');
  for (const e of out.edges) for (const end of [e.from, e.to]) if (!out.nodes.has(end)) throw new Error(`edge to undeclared node ${end}`);
  return out;
}

/** The graph as the text format states it: names, ops, arguments (const[shape] for constants), grads. */
function fromText(text: string) {
  return text.split('\n').map((line) => {
    const leaf = /^(\S+)\s+leaf (\[[^\]]*\])(?:  ‖grad‖ = (\S+))?$/.exec(line);
    if (leaf) return { name: leaf[1], op: 'leaf', args: [] as string[], grad: leaf[3] };
    const op = /^(\S+)\s+= (\w+)\((.*)\) → (\[[^\]]*\])(?:  ‖∂L\/∂out‖ = (\S+))?$/.exec(line);
    if (!op) throw new Error(`unparsed line ${line}`);
    return { name: op[1], op: op[2], args: op[3].split(/, (?![^[]*\])/), grad: op[5] };
  });
}

/** Problems of a DOT picture of y's whole graph (drawn with maxNodes: Infinity) against its text format. */
function dotProblems(dot: string, y: Tensor): string[] {
  let parsed: Dot;
  try {
    parsed = parseDot(dot);
  } catch (e) {
    return [`parse: ${(e as Error).message}`];
  }
  const problems: string[] = [];
  const bare = dot.replace(/"(?:[^"\\]|\\.)*"/g, '""'); // braces outside quoted strings
  if ((bare.match(/{/g) ?? []).length !== 1 || (bare.match(/}/g) ?? []).length !== 1) problems.push('unbalanced braces');
  const text = fromText(explain(y));
  const kindOf = (name: string) => parsed.nodes.get(name)?.class?.split(' ')[1];
  const shapeOf = (name: string) => parsed.nodes.get(name)?.label.split('\n')[1].split('  ')[0];
  const named = [...parsed.nodes.keys()].filter((n) => kindOf(n) !== 'const');
  if (named.join(' ') !== text.map((l) => l.name).join(' ')) problems.push(`nodes ${named.join(' ')} ≠ ${text.map((l) => l.name).join(' ')}`);
  const consts = new Set(text.flatMap((l) => l.args.filter((a) => a.startsWith('const'))));
  for (const n of parsed.nodes.keys()) if (kindOf(n) === 'const' && !consts.has(`const${shapeOf(n)}`)) problems.push(`stray const ${n}`);
  const expected = text.flatMap((l) => l.args.map((a, k) => `${a}->${l.name}${l.args.length > 1 ? ` #${k}` : ''}`)).sort();
  const got = parsed.edges.map((e) => `${kindOf(e.from) === 'const' ? `const${shapeOf(e.from)}` : e.from}->${e.to}${e.attrs.label !== undefined ? ` #${e.attrs.label}` : ''}`).sort();
  if (got.join('\n') !== expected.join('\n')) problems.push(`edges ${got.join(', ')} ≠ ${expected.join(', ')}`);
  for (const l of text) {
    const a = parsed.nodes.get(l.name);
    if (!a) continue;
    if (a.id !== `node-${l.name}`) problems.push(`${l.name}: id ${a.id}`);
    const label = a.label.split('\n');
    if (l.op === 'leaf') {
      if (kindOf(l.name) !== 'leaf') problems.push(`${l.name} is not drawn as a leaf`);
      if (label[0] !== `${l.name}  leaf`) problems.push(`${l.name}: label ${label[0]}`);
    } else {
      if (label[0] !== `${l.name} = ${l.op}`) problems.push(`${l.name}: label ${label[0]}`);
      if (a.tooltip !== registry.get(l.op)!.derivative) problems.push(`${l.name}: tooltip ${a.tooltip} ≠ the registry's derivative`);
    }
    const grad = label.find((s) => s.startsWith('‖'));
    const want = l.grad === undefined ? undefined : `${l.op === 'leaf' ? '‖grad‖' : '‖∂L/∂out‖'} = ${l.grad}`;
    if (grad !== want) problems.push(`${l.name}: gradient ${grad} ≠ ${want}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// SVG: well-formed XML (a tag stack), and the <g class="node"> elements with their attributes.

interface SvgNode {
  attrs: Record<string, string>;
  body: string;
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = svg.replace(/<style>[\s\S]*?<\/style>/, '<style/>');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos);)/g)) {
    if (m[0] === '<' || m[0] === '&') {
      problems.push(`stray ${m[0]} at ${m.index}`);
      continue;
    }
    const [, close, tag, , selfClosing] = m;
    if (close) {
      const open = stack.pop();
      if (open !== tag) problems.push(`</${tag}> closes <${open}>`);
    } else if (!selfClosing) stack.push(tag);
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(', ')}`);
  if (!svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')) problems.push('no svg root');
  return problems;
}

function svgNodes(svg: string): SvgNode[] {
  return [...svg.matchAll(/<g class="node ([^"]*)"([^>]*)>([\s\S]*?)<\/g>/g)].map((m) => {
    const attrs: Record<string, string> = { class: `node ${m[1]}` };
    for (const a of m[2].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = unescapeXml(a[2]);
    return { attrs, body: m[3] };
  });
}

// ---------------------------------------------------------------------------------------------
// The graphs.

function readmeExample(): Tensor {
  const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  return x.matmul(x).relu().sum();
}

function param(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function smallMlp(): Tensor {
  const rng = new Rng(3);
  const x = randn([4, 3], rng); // data: constants
  const target = randn([4, 2], rng);
  const p = (shape: number[]) => param(randn(shape, rng));
  const [w1, b1, w2, b2] = [p([5, 3]), p([5]), p([2, 5]), p([2])];
  return F.mse(linear(linear(x, w1, b1).relu(), w2, b2), target);
}

function sharedSubexpression(): Tensor {
  const x = tensor([0.5, -1, 2], { requiresGrad: true });
  const y = tensor([1.5, 0.25, -0.5], { requiresGrad: true });
  const a = x.mul(y); // used by add and by exp
  return a.add(a.exp()).sum();
}

function longChain(n: number): Tensor {
  let z = tensor([0.3, 0.1], { requiresGrad: true });
  for (let i = 0; i < n; i++) z = z.tanh();
  return z.sum();
}

const graphs: [string, () => Tensor][] = [
  ['the README example', readmeExample],
  ['a small MLP', smallMlp],
  ['a shared subexpression', sharedSubexpression],
  ['a chain of 30 tanh', () => longChain(30)],
];

describe('explain as DOT and SVG', () => {
  it('keeps the text format as it was', () => {
    const y = readmeExample();
    y.backward();
    expect(explain(y)).toBe(explain(y, { format: 'text' }));
    const ids = (s: string) => s.replace(/\bt\d+/g, 't#'); // op ids count up across graphs
    expect(ids(explain(y))).toBe(ids([
      'x0     leaf [2, 2]  ‖grad‖ = 20.49',
      't0     = matmul(x0, x0) → [2, 2]  ‖∂L/∂out‖ = 2.000',
      't1     = relu(t0) → [2, 2]  ‖∂L/∂out‖ = 2.000',
      't2     = sum(t1) → []  ‖∂L/∂out‖ = 1.000',
    ].join('\n')));
    expect(explain(tensor([1]))).toBe('tensor [1] (no graph recorded: requiresGrad is false)');
  });

  for (const [name, make] of graphs) {
    it(`DOT of ${name}: one statement per node, one edge per argument, registry derivatives, gradients after backward only`, () => {
      const y = make();
      const before = explain(y, { format: 'dot', maxNodes: Infinity });
      expect(dotProblems(before, y)).toEqual([]);
      expect(before).not.toMatch(/‖grad‖|‖∂L\/∂out‖/);
      y.backward();
      const after = explain(y, { format: 'dot', maxNodes: Infinity });
      expect(dotProblems(after, y)).toEqual([]);
      const text = fromText(explain(y));
      expect(text.every((l) => l.grad !== undefined)).toBe(true);
      expect(after.match(/‖grad‖|‖∂L\/∂out‖/g)!.length).toBe(text.length);
    });

    it(`SVG of ${name}: well-formed, one g.node per node with its op, backward index and derivative`, () => {
      const y = make();
      const dot = parseDot(explain(y, { format: 'dot', maxNodes: Infinity }));
      const beforeSvg = explain(y, { format: 'svg', maxNodes: Infinity });
      expect(beforeSvg).not.toMatch(/‖grad‖|‖∂L\/∂out‖/);
      y.backward();
      const svg = explain(y, { format: 'svg', maxNodes: Infinity });
      expect(svgProblems(svg)).toEqual([]);
      const nodes = svgNodes(svg);
      expect((svg.match(/<g class="node[ "]/g) ?? []).length).toBe(dot.nodes.size);
      expect(nodes.map((n) => n.attrs.id)).toEqual([...dot.nodes.keys()].map((k) => `node-${k}`));
      expect((svg.match(/<path class="edge/g) ?? []).length).toBe(dot.edges.length);
      const text = fromText(explain(y));
      const topo = text.length;
      const indices: number[] = [];
      for (const n of nodes) {
        const name = n.attrs['data-name'];
        const line = text.find((l) => l.name === name);
        if (!line) {
          expect(n.attrs['data-kind']).toBe('const');
          expect(n.attrs['data-backward']).toBeUndefined();
          continue;
        }
        expect(n.attrs['data-op']).toBe(line.op);
        expect(n.attrs['data-kind']).toBe(line.op === 'leaf' ? 'leaf' : 'op');
        indices.push(Number(n.attrs['data-backward']));
        expect(Number(n.attrs['data-backward'])).toBe(topo - 1 - text.indexOf(line)); // reverse topological order
        if (line.op !== 'leaf') {
          const title = unescapeXml(/<title>([\s\S]*?)<\/title>/.exec(n.body)![1]).split('\n');
          expect(title[1]).toBe(registry.get(line.op)!.derivative);
          expect(n.body).toContain(`‖∂L/∂out‖ = ${line.grad}`);
        } else expect(n.body).toContain(`‖grad‖ = ${line.grad}`);
      }
      expect(indices.sort((a, b) => a - b)).toEqual(text.map((_, i) => i));
    });
  }

  it('escapes quotes, backslashes and markup in names', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.name = 'a "b" \\ <c> & d';
    const y = x.exp().sum();
    const dot = parseDot(explain(y, { format: 'dot' }));
    expect(dot.nodes.has('a "b" \\ <c> & d')).toBe(true);
    expect(dot.nodes.get('a "b" \\ <c> & d')!.label.split('\n')[0]).toBe('a "b" \\ <c> & d  leaf');
    const svg = explain(y, { format: 'svg' });
    expect(svgProblems(svg)).toEqual([]);
    expect(svgNodes(svg)[0].attrs.id).toBe('node-a "b" \\ <c> & d');
  });

  it('draws a tensor without a graph as one node', () => {
    const t = tensor([1, 2, 3]);
    expect(parseDot(explain(t, { format: 'dot' })).nodes.size).toBe(1);
    expect(svgNodes(explain(t, { format: 'svg' }))).toHaveLength(1);
  });

  it('refuses a bad format or node limit', () => {
    const y = readmeExample();
    expect(() => explain(y, { format: 'png' as never })).toThrow(/format/);
    expect(() => explain(y, { format: 'svg', maxNodes: 1 })).toThrow(/maxNodes/);
    expect(() => explain(y, { format: 'dot', maxNodes: 2.5 })).toThrow(/maxNodes/);
  });
});

describe('collapsing big graphs', () => {
  /** Every tensor of the full picture is drawn, or is a member of exactly one box. */
  function coverage(y: Tensor, maxNodes: number) {
    const full = [...parseDot(explain(y, { format: 'dot', maxNodes: Infinity })).nodes.keys()];
    const nodes = svgNodes(explain(y, { format: 'svg', maxNodes }));
    const covered = nodes.flatMap((n) => (n.attrs['data-members'] ? n.attrs['data-members'].split(' ') : [n.attrs['data-name']]));
    expect(covered.sort()).toEqual(full.sort());
    const backward = nodes.flatMap((n) => (n.attrs['data-backward'] ? n.attrs['data-backward'].split(' ').map(Number) : []));
    expect(backward.sort((a, b) => a - b)).toEqual(backward.map((_, i) => i));
    return nodes;
  }

  it('a chain of 300 tanh becomes one box ×300 within the default limit', () => {
    const y = longChain(300);
    y.backward();
    const dot = parseDot(explain(y, { format: 'dot' }));
    expect(dot.nodes.size).toBeLessThanOrEqual(100);
    const boxes = [...dot.nodes.values()].filter((a) => a.class === 'node collapsed');
    expect(boxes).toHaveLength(1);
    expect(boxes[0].label).toMatch(/^tanh\n×300 {2}\(300 ops\)/);
    expect(boxes[0].label).toContain('‖∂L/∂out‖ = ');
    const nodes = coverage(y, 100);
    expect(nodes.map((n) => n.attrs['data-kind'])).toEqual(['leaf', 'collapsed', 'op']); // x0, tanh ×300, sum
    const svg = explain(y, { format: 'svg' });
    expect(svgProblems(svg)).toEqual([]);
    expect(svg).toContain('×300');
    // Small enough to draw whole: nothing collapses.
    expect(parseDot(explain(longChain(50), { format: 'dot' })).nodes.size).toBe(52);
  });

  it('repeated layers (with their own weights) and residual blocks collapse; shared weights stay', () => {
    const rng = new Rng(5);
    let h = randn([2, 8], rng);
    const shared = param(randn([8, 8], rng).mul(0.1));
    shared.name = 'S';
    for (let i = 0; i < 40; i++) {
      const w = param(randn([8, 8], rng).mul(0.1));
      const b = param(randn([8], rng).mul(0.1));
      h = h.add(linear(h, w, b).relu().matmul(shared)); // residual block: h + relu(hWᵀ + b)·S
    }
    const y = h.square().mean();
    y.backward();
    const dot = parseDot(explain(y, { format: 'dot', maxNodes: 60 }));
    expect(dot.nodes.size).toBeLessThanOrEqual(60);
    const box = [...dot.nodes.values()].find((a) => a.class === 'node collapsed')!;
    expect(box.label.split('\n')[0]).toBe('linear → relu → matmul → add');
    expect(box.label.split('\n')[1]).toBe('×40  (160 ops, 80 inputs)'); // the first block too, though its input is a constant
    expect(box.tooltip.split('\n')).toEqual(['linear', 'relu', 'matmul', 'add'].map((op) => `${op}: ${registry.get(op)!.derivative}`));
    expect(dot.nodes.get('S')!.class).toBe('node leaf'); // the shared weight is drawn, outside the box
    const fromS = dot.edges.filter((e) => e.from === 'S');
    expect(new Set(fromS.map((e) => e.to)).size).toBe(fromS.length); // merged: one edge per target
    expect(dot.edges.find((e) => e.from === 'S' && e.to === box.id.slice(5))!.attrs.label).toMatch(/^×\d+$/);
    coverage(y, 60);
    const svg = explain(y, { format: 'svg', maxNodes: 60 });
    expect(svgProblems(svg)).toEqual([]);
  });

  it('a deep MLP: its layers (each with its own weight and bias) become one box', () => {
    const rng = new Rng(8);
    let h = randn([3, 6], rng);
    for (let i = 0; i < 60; i++) h = linear(h, param(randn([6, 6], rng).mul(0.3)), param(randn([6], rng).mul(0.1))).relu();
    const y = h.sum();
    const before = parseDot(explain(y, { format: 'dot' }));
    expect(before.nodes.size).toBeLessThanOrEqual(100);
    const box = [...before.nodes.values()].find((a) => a.class === 'node collapsed')!;
    expect(box.label).toMatch(/^linear → relu\n×60 {2}\(120 ops, 120 inputs\)\n\[3, 6\]/);
    expect(box.label).not.toContain('‖');
    y.backward();
    const after = parseDot(explain(y, { format: 'dot' }));
    expect([...after.nodes.values()].find((a) => a.class === 'node collapsed')!.label).toContain('‖∂L/∂out‖ = ');
    coverage(y, 100);
  });

  it('a running sum of side branches (acc + x·cᵢ, 300 times) is one box, though backward visits the branches first', () => {
    const x = tensor([0.3, 0.2], { requiresGrad: true });
    let acc = x.mul(1);
    for (let i = 0; i < 300; i++) acc = acc.add(x.mul(i));
    const y = acc.sum();
    const dot = parseDot(explain(y, { format: 'dot' }));
    const box = [...dot.nodes.values()].find((a) => a.class === 'node collapsed')!;
    expect(box.label.split('\n').slice(0, 2)).toEqual(['mul → add', '×300  (600 ops, 300 inputs)']);
    expect(dot.edges.find((e) => e.from === 'x0' && e.to === box.id.slice(5))!.attrs.label).toBe('×300');
    expect(dot.nodes.size).toBe(5); // x0, the constant 1, x0·1, the box, sum
    coverage(y, 100);
  });

  it('a graph with no repeats is cut to its last nodes plus one box for the rest', () => {
    let z = tensor([0.5, 0.25], { requiresGrad: true });
    const ops = ['exp', 'tanh', 'sigmoid', 'neg', 'square', 'abs'] as const;
    const rng = new Rng(1);
    let last: string = '';
    for (let i = 0; i < 150; i++) {
      const choices = ops.filter((o) => o !== last);
      const op = choices[Math.floor(rng.uniform() * choices.length)];
      last = op;
      z = z[op]().mul(0.5);
    }
    const y = z.sum();
    const nodes = coverage(y, 20);
    expect(nodes.length).toBeLessThanOrEqual(20);
    expect(nodes.some((n) => n.attrs['data-kind'] === 'elided')).toBe(true);
    expect(nodes.at(-1)!.attrs['data-name']).toBe(fromText(explain(y)).at(-1)!.name);
  });
});

describe('the checkers catch planted bugs', () => {
  const y = sharedSubexpression();
  y.backward({ retainGraph: true });
  const dot = explain(y, { format: 'dot' });
  const svg = explain(y, { format: 'svg' });

  it('the real output passes', () => {
    expect(dotProblems(dot, y)).toEqual([]);
    expect(svgProblems(svg)).toEqual([]);
  });

  it('a dropped edge', () => {
    const lines = dot.split('\n');
    const k = lines.findIndex((l) => l.includes(' -> '));
    expect(dotProblems([...lines.slice(0, k), ...lines.slice(k + 1)].join('\n'), y).join()).toMatch(/^edges/);
  });

  it('an edge to the wrong node, a node declared twice, a missing brace', () => {
    expect(dotProblems(dot.replace(/"x0" -> "(\w+)"/, '"x1" -> "$1"'), y)).not.toEqual([]);
    const nodeLine = dot.split('\n').find((l) => l.startsWith('  "x0" ['))!;
    expect(dotProblems(dot.replace(nodeLine, `${nodeLine}\n${nodeLine}`), y).join()).toMatch(/declared twice/);
    expect(dotProblems(dot.replace(/}$/, ''), y).join()).toMatch(/parse/);
  });

  it('an unescaped quote in a label', () => {
    const x = tensor([1], { requiresGrad: true });
    x.name = 'q"x';
    const z = x.exp().sum();
    const good = explain(z, { format: 'dot' });
    expect(() => parseDot(good)).not.toThrow();
    expect(() => parseDot(good.replace(/q\\"x/g, 'q"x'))).toThrow();
  });

  it('a derivative that is not the registry\'s, a gradient shown before backward', () => {
    expect(dotProblems(dot.replace('tooltip="∂(ab)/∂a = b', 'tooltip="∂(ab)/∂a = a'), y).join()).toMatch(/registry/);
    const fresh = sharedSubexpression();
    expect(dotProblems(dot, fresh).join()).toMatch(/gradient|nodes/);
  });

  it('a lost closing tag, an unescaped ampersand, a duplicated node in the SVG', () => {
    expect(svgProblems(svg.replace('</g>', ''))).not.toEqual([]);
    expect(svgProblems(svg.replace('<title>', '<title>a & b '))).not.toEqual([]);
    const first = /<g class="node[\s\S]*?<\/g>/.exec(svg)![0];
    const doubled = svg.replace(first, first + first);
    expect(svgNodes(doubled).length).toBe(svgNodes(svg).length + 1);
  });
});
