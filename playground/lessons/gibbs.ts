// Lesson 2: a layer's activations define a Gibbs distribution over its neurons (LB-hidden eq 18).
import { prob, tensor } from '../lib/engine.js';
import { chart } from '../lib/charts.js';
import { h, num, slider, timed, type Slider } from '../lib/dom.js';
import { WORKED_EXAMPLE } from './models.js';

export function mountGibbs(root: HTMLElement): void {
  const grid = h('div', { class: 'sliders' });
  const sliders: Slider[] = [];
  const rows = h('tbody');
  const logZCell = h('span', { class: 'num' });
  const chartEl = h('div', { class: 'chart' });
  const gradNote = h('div', { class: 'small' });

  root.append(
    h('div', { class: 'side' },
      h('h2', {}, 'A layer is a Gibbs distribution'),
      h('p', {}, 'Read the N activations f', h('sub', {}, 'n'), '(x) of a fully connected layer as negative energies E', h('sub', {}, 'n'), ' = −f', h('sub', {}, 'n'), '. They define a discrete distribution over the layer\'s neurons: the probability that the feature of neuron n occurs in the input.'),
      h('div', { class: 'eq', html: '<span class="ref">LB-hidden eq 18</span>P(f<sub>n</sub>) = exp(f<sub>n</sub>) / Z<sub>F</sub><br>Z<sub>F</sub> = Σ<sub>n</sub> exp(f<sub>n</sub>)' }),
      h('p', {}, 'In exponential-family form the log-partition function F(θ) = log Z is the cumulant: its gradient is the vector of probabilities, ∂ log Z/∂f', h('sub', {}, 'n'), ' = P(f', h('sub', {}, 'n'), '). Below, autodiff computes that gradient.'),
      h('p', { class: 'small muted' }, 'The sliders start at the paper\'s worked example (§5.1): seven sigmoid neurons with f₁ = f₂ = f₄ = 1 and f₆ = f₇ = 0 give P(f₁) = P(f₂) = P(f₄) ≈ 0.20 and P(f₆) = P(f₇) ≈ 0.07 (f₃ = f₅ = 0.54 are not printed there). Sigmoid outputs lie in [0, 1]; the sliders go beyond, to show the softmax sharpening.'),
      h('h3', {}, 'Activations f', h('sub', {}, 'n')),
      grid,
      h('div', { class: 'controls' }, h('button', { 'data-action': 'reset' , onclick: () => { sliders.forEach((s, i) => s.set(WORKED_EXAMPLE[i])); update(); } }, 'Back to §5.1'), h('button', { onclick: () => { sliders.forEach((s) => s.set(Math.round(Math.random() * 600 - 300) / 100)); update(); } }, 'Random')),
    ),
    h('div', { class: 'stage' },
      h('div', { class: 'card' }, h('div', { class: 'title' }, h('span', {}, 'P(f', h('sub', {}, 'n'), ') = exp(f', h('sub', {}, 'n'), ')/Z', h('sub', {}, 'F'), ', from ', h('code', {}, 'prob.layerGibbs(f)')), h('span', {}, 'log Z = ', logZCell)), chartEl),
      h('div', { class: 'card' },
        h('div', { class: 'title' }, h('span', {}, 'The numbers: energy, Boltzmann weight, probability, and the gradient of log Z by backward()')),
        h('table', {}, h('thead', {}, h('tr', {}, ...['neuron', 'f_n', 'E_n = −f_n', 'exp(f_n)', 'P(f_n)', '∂ log Z/∂f_n'].map((c, i) => h('th', { class: i ? 'n' : '' }, c)))), rows),
        gradNote,
      ),
    ),
  );
  WORKED_EXAMPLE.forEach((v, i) => sliders.push(slider(grid, `f<sub>${i + 1}</sub>`, { min: -3, max: 3, step: 0.01, value: v, q: `gibbs.f.${i}`, onInput: () => update() })));

  const bars = chart(chartEl, {
    width: 'container', height: 190, autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: 'p' },
    layer: [
      { mark: { type: 'bar', color: '#2f6fdb', width: { band: 0.7 } }, encoding: { x: { field: 'neuron', type: 'ordinal', sort: null, axis: { labelAngle: 0, title: null } }, y: { field: 'P', type: 'quantitative', title: 'P(f_n)', scale: { domain: [0, 1] } } } },
      { mark: { type: 'text', dy: -7, fontSize: 11.5, font: 'monospace' }, encoding: { x: { field: 'neuron', type: 'ordinal', sort: null }, y: { field: 'P', type: 'quantitative' }, text: { field: 'P', type: 'quantitative', format: '.3f' } } },
    ],
  });

  function update(): Promise<void> {
    return timed('gibbs:update', () => {
      const f = tensor(sliders.map((s) => s.value()), { requiresGrad: true });
      const { probs, logZ, energy } = prob.layerGibbs(f);
      logZ.sum().backward(); // ∇ log Z = P
      const ex = f.exp();
      const P = [...probs.data];
      rows.replaceChildren(...P.map((p, n) => h('tr', {},
        h('td', {}, `f${n + 1}`),
        num(`gibbs.fval.${n}`, f.data[n], 2, 'td'),
        num(`gibbs.energy.${n}`, energy.data[n], 2, 'td'),
        num(`gibbs.exp.${n}`, ex.data[n], 4, 'td'),
        num(`gibbs.p.${n}`, p, 4, 'td'),
        num(`gibbs.grad.${n}`, f.grad!.data[n], 4, 'td'))),
        h('tr', { class: 'sum' }, h('td', {}, 'Σ'), h('td'), h('td'), num('gibbs.Z', ex.data.reduce((a, v) => a + v, 0), 4, 'td'), num('gibbs.psum', P.reduce((a, v) => a + v, 0), 4, 'td'), h('td')));
      logZCell.replaceChildren(num('gibbs.logZ', logZ.data[0], 4));
      const maxDiff = Math.max(...P.map((p, n) => Math.abs(p - f.grad!.data[n])));
      gradNote.replaceChildren(h('span', { class: 'muted' }, 'Z_F is the sum of the exp column; P is computed as exp(f − log Z) with log-sum-exp. max |P − ∇log Z| = '), num('gibbs.gradDiff', maxDiff, 3));
      return bars.update({ p: P.map((v, n) => ({ neuron: `f${n + 1}`, P: v })) });
    });
  }
  void update();
}
