// Lesson 3: a softmax layer is a product of experts (LB-hidden eq 9–11).
import { prob, tensor } from '../lib/engine.js';
import { chart } from '../lib/charts.js';
import { fmt, h, num, slider, timed, type Slider } from '../lib/dom.js';
import { POE_F0, POE_K, POE_L, poeWeights } from './models.js';

export function mountPoe(root: HTMLElement): void {
  let seed = 1;
  const grid = h('div', { class: 'sliders' });
  const sliders: Slider[] = [];
  const seedLabel = h('span', { class: 'mono', 'data-q': 'poe.seed', 'data-value': seed }, String(seed));
  const expertsEl = h('div', { class: 'chart' });
  const compareEl = h('div', { class: 'chart' });
  const factors = h('div');
  const classes = h('div');

  root.append(
    h('div', { class: 'side' },
      h('h2', {}, 'Softmax is a product of experts'),
      h('p', {}, 'The layer below a softmax is a Gibbs distribution over its K units (lesson 2): one "expert" P(f', h('sub', {}, 'k'), ') = exp(f', h('sub', {}, 'k'), ')/Z', h('sub', {}, 'F'), ' per unit. Each output class l raises every expert to the power of its weight γ', h('sub', {}, 'kl'), ' and multiplies: a product of experts. Normalising the product by Z″', h('sub', {}, 'l'), ' gives exactly the softmax output.'),
      h('div', { class: 'eq', html: '<span class="ref">LB-hidden eq 9–11</span>softmax(f·γ + b)<sub>l</sub> = (1/Z″<sub>l</sub>) Π<sub>k</sub> [exp(f<sub>k</sub>)/Z<sub>F</sub>]<sup>γ<sub>kl</sub></sup><br>Z″<sub>l</sub> = Z<sub>Y</sub> / (e<sup>b<sub>l</sub></sup> Π<sub>k</sub> Z<sub>F</sub><sup>γ<sub>kl</sub></sup>)<br>Z<sub>Y</sub> = Σ<sub>l</sub> exp(Σ<sub>k</sub> γ<sub>kl</sub> f<sub>k</sub> + b<sub>l</sub>)' }),
      h('p', { class: 'small muted' }, h('code', {}, 'prob.poe(f, γ, b)'), ' builds the probabilities from the experts (in log space), never calling softmax; the right-hand column is the engine\'s ', h('code', {}, 'softmax'), ' of the logits.'),
      h('h3', {}, 'Input activations f', h('sub', {}, 'k')),
      grid,
      h('div', { class: 'controls' }, h('button', { 'data-action': 'reseed', onclick: () => { seed++; seedLabel.textContent = String(seed); seedLabel.dataset.value = String(seed); void update(); } }, 'New weights γ, b'), h('span', { class: 'muted small' }, 'seed ', seedLabel)),
    ),
    h('div', { class: 'stage' },
      h('div', { class: 'row' },
        h('div', { class: 'card', style: 'flex: 1 1 260px' }, h('div', { class: 'title' }, 'The experts exp(f_k)/Z_F'), expertsEl),
        h('div', { class: 'card', style: 'flex: 1.3 1 320px' }, h('div', { class: 'title' }, 'Output distribution: product of experts vs softmax'), compareEl),
      ),
      h('div', { class: 'card' }, h('div', { class: 'title' }, 'Each class\'s factors [exp(f_k)/Z_F]^γ_kl, their product, and its normaliser'), factors),
      h('div', { class: 'card' }, h('div', { class: 'title' }, 'Per class, in log space'), classes),
    ),
  );
  POE_F0.forEach((v, k) => sliders.push(slider(grid, `f<sub>${k + 1}</sub>`, { min: -3, max: 3, step: 0.01, value: v, q: `poe.f.${k}`, onInput: () => void update() })));

  const experts = chart(expertsEl, {
    width: 'container', height: 170, autosize: { type: 'fit-x', contains: 'padding' }, data: { name: 'e' },
    mark: { type: 'bar', color: '#1a8a4a', width: { band: 0.65 } },
    encoding: { x: { field: 'k', type: 'ordinal', sort: null, axis: { labelAngle: 0, title: null } }, y: { field: 'p', type: 'quantitative', title: 'P(f_k)', scale: { domain: [0, 1] } } },
  });
  const compare = chart(compareEl, {
    width: 'container', height: 170, autosize: { type: 'fit-x', contains: 'padding' }, data: { name: 'c' },
    mark: { type: 'bar', width: { band: 0.9 } },
    encoding: {
      x: { field: 'class', type: 'ordinal', sort: null, axis: { labelAngle: 0, title: null } },
      xOffset: { field: 'method', sort: null },
      y: { field: 'p', type: 'quantitative', title: 'P(class)', scale: { domain: [0, 1] } },
      color: { field: 'method', type: 'nominal', sort: null, title: null, scale: { range: ['#2f6fdb', '#e4572e'] } },
    },
  });

  function update(): Promise<void> {
    return timed('poe:update', () => {
      const { gamma, b } = poeWeights(seed);
      const f = tensor([sliders.map((s) => s.value())]);
      const r = prob.poe(f, gamma, b);
      const soft = f.matmul(gamma).add(b).softmax(1);
      const logFactors = r.experts.log().reshape([POE_K, 1]).mul(gamma); // γ_kl log expert_k
      const logProduct = logFactors.sum(0); // [L]
      const K = POE_K, L = POE_L;
      factors.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'expert k'), h('th', { class: 'n' }, 'P(f_k)'), ...Array.from({ length: L }, (_, l) => h('th', { class: 'n' }, `γ_k${l + 1}`)), ...Array.from({ length: L }, (_, l) => h('th', { class: 'n' }, `P(f_k)^γ_k${l + 1}`)))),
        h('tbody', {},
          ...Array.from({ length: K }, (_, k) => h('tr', {},
            h('td', {}, `f${k + 1}`),
            num(`poe.expert.${k}`, r.experts.data[k], 4, 'td'),
            ...Array.from({ length: L }, (_, l) => num(null, gamma.data[k * L + l], 3, 'td')),
            ...Array.from({ length: L }, (_, l) => num(null, Math.exp(logFactors.data[k * L + l]), 4, 'td')))),
          h('tr', { class: 'sum' }, h('td', {}, 'Π_k'), h('td'), ...Array.from({ length: L }, () => h('td')), ...Array.from({ length: L }, (_, l) => num(`poe.product.${l}`, Math.exp(logProduct.data[l]), 4, 'td'))),
        )));
      classes.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ...['class l', 'b_l', 'log Π_k expertᵞ', 'log Z″_l', 'PoE: Π / Z″_l', 'softmax(fγ + b)_l', '|difference|'].map((c, i) => h('th', { class: i ? 'n' : '' }, c)))),
        h('tbody', {}, ...Array.from({ length: L }, (_, l) => h('tr', {},
          h('td', {}, `y${l + 1}`),
          num(null, b.data[l], 3, 'td'),
          num(`poe.logProduct.${l}`, logProduct.data[l], 4, 'td'),
          num(`poe.logZpp.${l}`, r.logZpp.data[l], 4, 'td'),
          num(`poe.prob.${l}`, r.probs.data[l], 6, 'td'),
          num(`poe.softmax.${l}`, soft.data[l], 6, 'td'),
          num(null, Math.abs(r.probs.data[l] - soft.data[l]), 2, 'td')))),
      ), h('p', { class: 'small muted', style: 'margin:6px 0 0' }, `log Z_F = ${fmt(r.logZF.data[0], 4)}. The two probability columns agree to float32 rounding (≈ 1e−7).`));
      return Promise.all([
        experts.update({ e: Array.from({ length: K }, (_, k) => ({ k: `f${k + 1}`, p: r.experts.data[k] })) }),
        compare.update({ c: Array.from({ length: L }, (_, l) => [{ class: `y${l + 1}`, method: 'product of experts', p: r.probs.data[l] }, { class: `y${l + 1}`, method: 'softmax', p: soft.data[l] }]).flat() }),
      ]).then(() => undefined);
    });
  }
  void update();
}
