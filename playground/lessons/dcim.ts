// Lesson 4: a sigmoid network's forward pass is approximation (2) of a DCIM (DCIM eq 7, 14).
import { noGrad, Rng, Tensor, tensor } from '../lib/engine.js';
import { chart } from '../lib/charts.js';
import { fmt, h, num, slider, timed, type Slider } from '../lib/dom.js';
import { DCIM_SAMPLE_SEED, DCIM_SAMPLES, DCIM_SEED, DCIM_SIZES, DCIM_X0, dcimError, dcimNetwork } from './models.js';

const SUP = ['⁰', '¹', '²', '³', '⁴'];
const SUB = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];

export function mountDcim(root: HTMLElement): void {
  const xGrid = h('div', { class: 'sliders' });
  const sGrid = h('div', { class: 'sliders' });
  const xs: Slider[] = [];
  let scale: Slider;
  const barsEl = h('div', { class: 'chart' });
  const curveEl = h('div', { class: 'chart' });
  const tableBox = h('div');
  const summary = h('div', { class: 'small' });
  let curveFor = '';

  root.append(
    h('div', { class: 'side' },
      h('h2', {}, 'A sigmoid network is expectation propagation'),
      h('p', {}, 'A DCIM is a chain of stochastic binary layers x⁰ → x¹ → … → x', h('sup', {}, 'd'), ', each unit drawn independently given the layer below. Its exact marginals need a sum over every configuration of every layer. Approximation (2) feeds each layer the expectation of the one below; for {0,1} units that is exactly the sigmoid network\'s forward pass.'),
      h('div', { class: 'eq', html: '<span class="ref">DCIM eq 1, 13</span>p(x<sup>k</sup> | x<sup>k−1</sup>) = Π<sub>j</sub> exp(x<sup>k</sup><sub>j</sub> a<sup>k</sup><sub>j</sub>) / Z(a<sup>k</sup><sub>j</sub>)<br>a<sup>k</sup> = W<sup>k</sup>x<sup>k−1</sup> + b<sup>k</sup>' }),
      h('div', { class: 'eq', html: '<span class="ref">eq 7, 14</span>x̄<sup>k</sup> = σ(W<sup>k</sup> x̄<sup>k−1</sup> + b<sup>k</sup>), &nbsp; top: softmax' }),
      h('p', { class: 'small muted' }, `The network ${DCIM_SIZES.join(' → ')} (softmax top) is `, h('code', {}, 'prob.dcim.DCIM.fromSequential(net)'), '; the exact marginals come from ', h('code', {}, 'exactMarginals'), ` (enumeration), the histogram from ${DCIM_SAMPLES} ancestral samples (`, h('code', {}, 'sample'), '). Shrink the weights: the error of (2) vanishes like O(s²).'),
      h('h3', {}, 'Input x⁰'),
      xGrid,
      h('h3', {}, 'Weight scale'),
      sGrid,
      summary,
    ),
    h('div', { class: 'stage' },
      h('div', { class: 'card' }, h('div', { class: 'title' }, h('span', {}, 'P(unit = 1) per layer (top layer: P(class)): forward pass vs exact marginal vs sample frequency')), barsEl),
      h('div', { class: 'row' },
        h('div', { class: 'card', style: 'flex: 1 1 330px' }, h('div', { class: 'title' }, 'Error of approximation (2) against the weight scale s'), curveEl,
          h('div', { class: 'small muted' }, 'Layer 1 is exact at any scale: x⁰ is given. The error enters from layer 2 on, where (2) feeds x̄¹ instead of the random x¹.')),
        h('div', { class: 'card', style: 'flex: 1.25 1 360px' }, h('div', { class: 'title' }, 'The numbers'), tableBox),
      ),
    ),
  );
  DCIM_X0.forEach((v, i) => xs.push(slider(xGrid, `x<sub>${i + 1}</sub>`, { min: 0, max: 1, step: 0.01, value: v, q: `dcim.x.${i}`, onInput: () => void update() })));
  scale = slider(sGrid, 's', { min: 0, max: 1.5, step: 0.01, value: 1, q: 'dcim.scale', onInput: () => void update() });

  const unitLabel = (k: number, j: number) => `x${SUP[k]}${SUB[j + 1]}`;
  const bars = chart(barsEl, {
    width: 'container', height: 175, autosize: { type: 'fit-x', contains: 'padding' }, data: { name: 'm' },
    mark: { type: 'bar', width: { band: 0.9 } },
    encoding: {
      x: { field: 'unit', type: 'ordinal', sort: null, axis: { labelAngle: 0, title: null, labelFontSize: 12 } },
      xOffset: { field: 'method', sort: null },
      y: { field: 'p', type: 'quantitative', title: 'probability', scale: { domain: [0, 1] } },
      color: { field: 'method', type: 'nominal', sort: null, title: null, scale: { range: ['#2f6fdb', '#1d2330', '#f2a900'] } },
    },
  });
  const curve = chart(curveEl, {
    width: 'container', height: 165, autosize: { type: 'fit-x', contains: 'padding' },
    layer: [
      { data: { name: 'curve' }, mark: { type: 'line', color: '#2f6fdb', strokeWidth: 2 }, encoding: { x: { field: 's', type: 'quantitative', title: 'weight scale s' }, y: { field: 'err', type: 'quantitative', title: 'max |x̄ − exact|' } } },
      { data: { name: 'now' }, mark: { type: 'point', filled: true, size: 80, color: '#e4572e' }, encoding: { x: { field: 's', type: 'quantitative' }, y: { field: 'err', type: 'quantitative' } } },
    ],
  });

  function update(): Promise<void> {
    return timed('dcim:update', () => noGrad(() => {
      const s = scale.value();
      const x0v = xs.map((x) => x.value());
      const x0 = tensor([x0v]);
      const { net, dcim } = dcimNetwork(DCIM_SEED, s);
      const fwd = dcim.expectations(x0);
      const netOut = net.forward(x0);
      const exact = dcim.exactMarginals(x0);
      const n = DCIM_SAMPLES;
      const batch = new Tensor(new Float32Array(n * x0v.length).map((_, i) => x0.data[i % x0v.length]), [n, x0v.length]);
      const freq = dcim.sample(batch, new Rng(DCIM_SAMPLE_SEED)).map((t) => t.mean(0));
      const err = Math.max(...exact.flatMap((m, k) => [...m.data].map((p, j) => Math.abs(p - fwd[k].data[j]))));
      const rows: HTMLElement[] = [];
      const data: { unit: string; method: string; p: number }[] = [];
      fwd.forEach((layer, k) => layer.data.forEach((v, j) => {
        const u = unitLabel(k + 1, j);
        data.push({ unit: u, method: 'forward pass (2)', p: v }, { unit: u, method: 'exact', p: exact[k].data[j] }, { unit: u, method: `samples (n = ${n})`, p: freq[k].data[j] });
        rows.push(h('tr', {}, h('td', { class: 'mono' }, u), num(`dcim.fwd.${k}.${j}`, v, 4, 'td'), num(`dcim.exact.${k}.${j}`, exact[k].data[j], 4, 'td'), num(`dcim.sample.${k}.${j}`, freq[k].data[j], 4, 'td'), num(null, Math.abs(v - exact[k].data[j]), 4, 'td')));
      }));
      tableBox.replaceChildren(h('div', { style: 'max-height: 218px; overflow-y: auto' }, h('table', {},
        h('thead', {}, h('tr', {}, ...['unit', 'forward x̄', 'exact', 'samples', '|x̄ − exact|'].map((c, i) => h('th', { class: i ? 'n' : '' }, c)))),
        h('tbody', {}, ...rows))));
      const sameAsNet = Math.max(...[...netOut.data].map((v, l) => Math.abs(v - fwd[fwd.length - 1].data[l])));
      summary.replaceChildren(
        h('div', {}, 'max |x̄ − exact| = ', num('dcim.maxerr', err, 4), ` at s = ${fmt(s, 2)}`),
        h('div', { class: 'muted' }, 'net.forward(x⁰) vs the DCIM\'s x̄', h('sup', {}, 'd'), ': ', sameAsNet === 0 ? h('span', { 'data-q': 'dcim.netdiff', 'data-value': '0' }, 'identical') : num('dcim.netdiff', sameAsNet, 2)),
      );
      // The error curve depends on x⁰ only; recompute it when x⁰ changes.
      const key = x0v.join(',');
      const updates: Record<string, unknown[]> = { m: data, now: [{ s, err }] };
      if (key !== curveFor) {
        curveFor = key;
        updates.curve = Array.from({ length: 31 }, (_, i) => {
          const si = (1.5 * i) / 30;
          return { s: si, err: dcimError(dcimNetwork(DCIM_SEED, si).dcim, x0) };
        });
      }
      return Promise.all([bars.update({ m: data }), curve.update(updates.curve ? { curve: updates.curve, now: updates.now } : { now: updates.now })]).then(() => undefined);
    }));
  }
  void update();
}
