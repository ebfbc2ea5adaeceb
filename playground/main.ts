// The playground page: five lessons, one view each, switched by the tabs (and #anchors).
import { configureWasm } from './lib/engine.js';
import { h } from './lib/dom.js';
import { mountBackward } from './lessons/backward.js';
import { mountGibbs } from './lessons/gibbs.js';
import { mountPoe } from './lessons/poe.js';
import { mountDcim } from './lessons/dcim.js';
import { mountDrmm } from './lessons/drmm.js';

// ?fma=0 or 1 picks the GEMM kernel (the tests match the Node process they compare with).
const fma = new URLSearchParams(location.search).get('fma');
if (fma !== null) configureWasm({ fusedMultiplyAdd: fma === '1' });

const LESSONS: { id: string; title: string; mount: (el: HTMLElement) => void }[] = [
  { id: 'backward', title: 'Backward, step by step', mount: mountBackward },
  { id: 'gibbs', title: 'A layer is a Gibbs distribution', mount: mountGibbs },
  { id: 'poe', title: 'Softmax is a product of experts', mount: mountPoe },
  { id: 'dcim', title: 'A sigmoid network is EP', mount: mountDcim },
  { id: 'drmm', title: 'A ReLU CNN is max-sum', mount: mountDrmm },
];

const main = document.getElementById('lessons')!;
const nav = document.getElementById('tabs')!;
const mounted = new Map<string, HTMLElement>();
const tabs = LESSONS.map((l, i) => {
  const a = h('a', { href: `#${l.id}`, 'data-tab': l.id }, h('span', { class: 'num' }, String(i + 1)), l.title);
  nav.append(a);
  return a;
});

function show(): void {
  const id = LESSONS.some((l) => `#${l.id}` === location.hash) ? location.hash.slice(1) : LESSONS[0].id;
  if (!mounted.has(id)) {
    const lesson = LESSONS.find((l) => l.id === id)!;
    const el = h('section', { class: 'lesson', id: `lesson-${id}`, 'data-lesson': id });
    main.append(el);
    mounted.set(id, el);
    lesson.mount(el);
  }
  main.querySelector('.loading')?.remove();
  for (const [k, el] of mounted) el.classList.toggle('active', k === id);
  tabs.forEach((a) => a.classList.toggle('active', a.dataset.tab === id));
  const w = window as unknown as { playgroundReady?: number; playgroundLesson?: string };
  w.playgroundLesson = id;
  w.playgroundReady ??= performance.now();
}

window.addEventListener('hashchange', show);
show();
