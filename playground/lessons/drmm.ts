// Lesson 5: a ReLU CNN's bottom-up pass is max-sum inference in a DRMM (DRMM eq 1–8).
import { noGrad, Rng, type Tensor } from '../lib/engine.js';
import { chart, type Chart } from '../lib/charts.js';
import { fmt, h, num, slider, timed, type Slider } from '../lib/dom.js';
import { DRMM_IMAGE_SEED, DRMM_SEED, drmmModel } from './models.js';

function heatmap(el: HTMLElement, title: string): Chart {
  return chart(el, {
    width: 150, height: 150, title: { text: title, fontSize: 12, fontWeight: 500, color: '#1d2330' }, data: { name: 'px' },
    mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
    encoding: {
      x: { field: 'x', type: 'ordinal', axis: null },
      y: { field: 'y', type: 'ordinal', axis: null },
      color: { field: 'v', type: 'quantitative', title: null, scale: { scheme: 'redblue', reverse: true, domain: [-1.2, 1.2], clamp: true }, legend: { orient: 'bottom', gradientLength: 140, gradientThickness: 8, labelFontSize: 10 } },
    },
  });
}

function pixels(t: Tensor): { x: number; y: number; v: number }[] {
  const [h, w] = t.shape.slice(-2);
  return [...t.data].map((v, i) => ({ x: i % w, y: Math.floor(i / w), v }));
}

export function mountDrmm(root: HTMLElement): void {
  let imageSeed = DRMM_IMAGE_SEED;
  const sGrid = h('div', { class: 'sliders' });
  let sigma: Slider;
  const classSelect = h('select', { 'aria-label': 'class to draw from', 'data-control': 'class' }, ...[0, 1, 2].map((c) => h('option', { value: c }, `class ${c + 1}`)));
  const seedLabel = h('span', { class: 'mono' }, String(imageSeed));
  const cleanEl = h('div', { class: 'chart' });
  const imageEl = h('div', { class: 'chart' });
  const renderEl = h('div', { class: 'chart' });
  const scoresEl = h('div', { class: 'chart' });
  const scoreTable = h('div');
  const pathNote = h('div', { class: 'small' });
  const imageData = h('div', { hidden: true, 'data-q': 'drmm.image' });

  root.append(
    h('div', { class: 'side' },
      h('h2', {}, 'A ReLU CNN is max-sum inference'),
      h('p', {}, 'The deep rendering mixture model draws an image top-down: a class c picks a template μ', h('sub', {}, 'c'), '; at every level each unit switches on or off (a) and picks a position in its pooling window (the nuisance g), rendering its filter there; noise is added at the end.'),
      h('div', { class: 'eq', html: '<span class="ref">DRMM eq 4–6</span>I = Λ<sub>g<sub>1</sub></sub> ⋯ Λ<sub>g<sub>L</sub></sub> μ<sub>c</sub> + N(0, σ²)' }),
      h('p', {}, 'Classifying an image means maximising ⟨Λ', h('sub', {}, 'g'), 'μ', h('sub', {}, 'c'), ', I⟩ over every rendering path. The max over a switch is a ReLU, the max over a position is max-pooling, and the sum over a filter is a convolution, so the max factorises level by level into a CNN\'s bottom-up pass:'),
      h('div', { class: 'eq', html: '<span class="ref">eq 7–8</span>I<sup>(ℓ+1)</sup> = MaxPool(ReLU(Conv(I<sup>(ℓ)</sup>, W<sup>(ℓ)</sup>)))<br>score<sub>c</sub> = ⟨μ<sub>c</sub>, I<sup>(L)</sup>⟩ = max<sub>g, a</sub> ⟨Λ<sub>g</sub>μ<sub>c</sub>, I⟩' }),
      h('p', { class: 'small muted' }, h('code', {}, 'prob.drmm.DRMM'), ' with two levels on 6×6 images, 3 classes. Right: ', h('code', {}, 'bottomUp'), ' against ', h('code', {}, 'bruteForceMaxSum'), ', which enumerates every path, and ', h('code', {}, 'topDown(ĉ, ĝ)'), ', the template of the winning path.'),
      h('h3', {}, 'Image'),
      h('div', { class: 'controls' }, classSelect, h('button', { class: 'primary', 'data-action': 'draw', onclick: () => { imageSeed++; seedLabel.textContent = String(imageSeed); void update(); } }, 'Draw a new image'), h('span', { class: 'muted small' }, 'seed ', seedLabel)),
      sGrid,
      imageData,
    ),
    h('div', { class: 'stage' },
      h('div', { class: 'card' },
        h('div', { class: 'title' }, h('span', {}, 'The drawn rendering, the noisy image the network sees, and the rendering of the path that bottom-up inference picks')),
        h('div', { class: 'row', style: 'justify-content: space-around' }, cleanEl, imageEl, renderEl)),
      h('div', { class: 'row' },
        h('div', { class: 'card', style: 'flex: 1 1 300px' }, h('div', { class: 'title' }, 'Class scores: CNN bottom-up vs brute-force max-sum'), scoresEl),
        h('div', { class: 'card', style: 'flex: 1.2 1 340px' }, h('div', { class: 'title' }, 'The numbers'), scoreTable, pathNote),
      ),
    ),
  );
  sigma = slider(sGrid, 'noise σ', { min: 0, max: 1.5, step: 0.01, value: 0.25, q: 'drmm.sigma', onInput: () => void update() });
  classSelect.addEventListener('change', () => void update());

  const clean = heatmap(cleanEl, 'Λ_g μ_c (drawn)');
  const image = heatmap(imageEl, 'I = rendering + noise');
  const render = heatmap(renderEl, 'Λ_ĝ μ_ĉ (inferred)');
  const scores = chart(scoresEl, {
    width: 'container', height: 150, autosize: { type: 'fit-x', contains: 'padding' }, data: { name: 's' },
    mark: { type: 'bar', width: { band: 0.9 } },
    encoding: {
      x: { field: 'class', type: 'ordinal', sort: null, axis: { labelAngle: 0, title: null } },
      xOffset: { field: 'method', sort: null },
      y: { field: 'score', type: 'quantitative', title: 'score' },
      color: { field: 'method', type: 'nominal', sort: null, title: null, scale: { range: ['#2f6fdb', '#e4572e'] } },
    },
  });

  function update(): Promise<void> {
    return timed('drmm:update', () => noGrad(() => {
      const model = drmmModel(DRMM_SEED, sigma.value());
      const c = Number(classSelect.value);
      const drawn = model.sample(new Rng(imageSeed), 1, { classes: [c] });
      const I = drawn.images;
      imageData.dataset.value = JSON.stringify([...I.data]);
      const truth = model.topDown(c, drawn.latents);
      const t0 = performance.now();
      const { scores: s, latents } = model.infer(I);
      const t1 = performance.now();
      const brute = model.bruteForceMaxSum(I);
      const t2 = performance.now();
      const fast = [...s.data];
      const cHat = fast.indexOf(Math.max(...fast));
      const rendered = model.topDown(cHat, latents);
      const dot = rendered.mul(I).sum().item();
      let paths = 1;
      model.levels.forEach((lv, i) => (paths *= (lv.pool * lv.pool + 1) ** (lv.channels * model.sizes[i + 1][0] * model.sizes[i + 1][1])));
      scoreTable.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ...['class', 'bottom-up', 'brute force', '|difference|'].map((t, i) => h('th', { class: i ? 'n' : '' }, t)))),
        h('tbody', {}, ...fast.map((v, k) => h('tr', { style: k === cHat ? 'font-weight:600' : '' },
          h('td', {}, `class ${k + 1}${k === cHat ? ' ◂' : ''}`),
          num(`drmm.bottomUp.${k}`, v, 4, 'td'),
          num(`drmm.brute.${k}`, brute.scores[k], 4, 'td'),
          num(null, Math.abs(v - brute.scores[k]), 2, 'td')))),
      ));
      pathNote.replaceChildren(
        h('p', { style: 'margin:6px 0 2px' }, 'bottom-up picks ', h('b', { 'data-q': 'drmm.cHat', 'data-value': String(cHat) }, `class ${cHat + 1}`), ', brute force ', h('b', { 'data-q': 'drmm.cBrute', 'data-value': String(brute.c) }, `class ${brute.c + 1}`), `; the image was drawn from class ${c + 1}.`),
        h('p', { style: 'margin:0 0 2px' }, '⟨Λ_ĝ μ_ĉ, I⟩ = ', num('drmm.dot', dot, 4), ': the winning path\'s template reaches the bottom-up score.'),
        h('p', { class: 'muted', style: 'margin:0' }, `Brute force: ${paths.toLocaleString('en')} paths per class, ${(3 * paths).toLocaleString('en')} in all, ${fmt(t2 - t1, 1)} ms; bottom-up: ${fmt(t1 - t0, 1)} ms.`),
      );
      return Promise.all([
        clean.update({ px: pixels(truth) }),
        image.update({ px: pixels(I) }),
        render.update({ px: pixels(rendered) }),
        scores.update({ s: fast.flatMap((v, k) => [{ class: `class ${k + 1}`, method: 'bottom-up (CNN)', score: v }, { class: `class ${k + 1}`, method: 'brute-force max-sum', score: brute.scores[k] }]) }),
      ]).then(() => undefined);
    }));
  }
  void update();
}
