import { describe, expect, it } from 'vitest';
import { batches, evaluate, F, fit, nn, optim, Rng, randn, tensor, Tensor } from '../../src/index.js';

function tinyProblem(seed: number) {
  const rng = new Rng(seed);
  const x = randn([16, 4], rng);
  const y = tensor(Array.from({ length: 16 }, (_, i) => i % 3));
  return { x, y, rng };
}

const net = (rng: Rng) => new nn.Sequential(new nn.Linear(4, 16, { rng }), new nn.Tanh(), new nn.Linear(16, 3, { rng }));

describe('optimisers overfit a fixed batch', () => {
  it.each([
    ['SGD', (p: Tensor[]) => new optim.SGD(p, { lr: 0.5 })],
    ['SGD momentum', (p: Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['SGD Nesterov + weight decay', (p: Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-5 })],
    ['Adam', (p: Tensor[]) => new optim.Adam(p, { lr: 0.05 })],
    ['Adam with a step-decay schedule', (p: Tensor[]) => new optim.Adam(p, { lr: 0.05, schedule: optim.schedules.stepDecay(200, 0.5) })],
  ] as const)('%s drives the loss to near zero', (_name, make) => {
    const { x, y, rng } = tinyProblem(1);
    const model = net(rng);
    const opt = make(model.parameters());
    let loss = Infinity;
    for (let i = 0; i < 1000; i++) {
      opt.zeroGrad();
      const l = F.crossEntropy(model.forward(x), y);
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(0.02);
  });
});

describe('fit and evaluate', () => {
  it('reports per-epoch logs and progress, and is reproducible from the seed', () => {
    const run = () => {
      const { x, y } = tinyProblem(2);
      const model = net(new Rng(3));
      const events: string[] = [];
      const logs = fit(model, new optim.Adam(model.parameters(), { lr: 0.05 }), { x, y }, {
        epochs: 80, batchSize: 5, rng: new Rng(4), validation: { x, y }, onProgress: (p) => events.push(p.kind),
      });
      return { logs, events, model };
    };
    const a = run();
    expect(a.logs).toHaveLength(80);
    expect(a.events.filter((e) => e === 'batch')).toHaveLength(80 * 4);
    expect(a.events.filter((e) => e === 'epoch')).toHaveLength(80);
    expect(a.logs[79].loss).toBeLessThan(a.logs[0].loss);
    expect(a.logs[79].valAccuracy).toBe(1);
    const b = run();
    expect(b.logs.map((l) => l.loss)).toEqual(a.logs.map((l) => l.loss));
    const { x, y } = tinyProblem(2);
    expect(evaluate(a.model, x, y).accuracy).toBe(1);
  });

  it('stops before the optimiser step when the loss is not finite, leaving the weights intact', () => {
    const { x, y } = tinyProblem(2);
    x.data[7] = Number.NaN; // row 1 of the inputs
    const model = net(new Rng(3));
    const before = model.stateDict();
    expect(() => fit(model, new optim.SGD(model.parameters(), { lr: 0.1 }), { x, y }, { epochs: 1, batchSize: 16, rng: new Rng(0) }))
      .toThrow(/fit: the loss became NaN at epoch 1, batch 1; lower the learning rate or check the data/);
    for (const [name, p] of model.namedParameters()) expect(p.data, name).toEqual(before.get(name)!.data);
  });

  it('stops when a step makes a parameter non-finite although the loss is finite, naming it', () => {
    const { x, y } = tinyProblem(2);
    const model = net(new Rng(3));
    // value 0, gradient ∞·0 = NaN: sqrt at 0 of the logits times 0
    const loss = (out: Tensor, labels: Tensor) => F.crossEntropy(out, labels).add(out.mul(0).sqrt().sum());
    expect(() => fit(model, new optim.Adam(model.parameters(), { lr: 0.01 }), { x, y }, { epochs: 1, batchSize: 16, rng: new Rng(0), loss }))
      .toThrow(/fit: parameter 0\.weight\[0\] became NaN \(gradient NaN\) at epoch 1, batch 1, with a finite loss/);
  });

  it('rejects bad options by name', () => {
    const { x, y } = tinyProblem(2);
    const model = net(new Rng(3));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    expect(() => fit(model, opt, { x, y }, { epochs: 1, batchSize: 0, rng: new Rng(0) })).toThrow(/fit: batchSize must be a positive integer, got 0/);
    expect(() => fit(model, opt, { x, y }, { epochs: 1.5, batchSize: 4, rng: new Rng(0) })).toThrow(/fit: epochs must be a non-negative integer, got 1\.5/);
    expect(() => fit(model, opt, { x, y }, { epochs: 1, batchSize: 4 } as never)).toThrow(/fit: pass \{ rng: new Rng\(seed\) \}/);
    expect(() => fit(model, opt, { x, y: y.slice([[0, 10]]) }, { epochs: 1, batchSize: 4, rng: new Rng(0) })).toThrow(/batches: x \[16, 4\] and y \[10\] have different numbers of rows/);
  });

  it('batches cover every row once, in a seeded order', () => {
    const x = tensor(Array.from({ length: 10 }, (_, i) => [i]));
    const y = tensor(Array.from({ length: 10 }, (_, i) => i));
    const seen = [...batches(x, y, 3, new Rng(0))].flatMap(([, yb]) => [...yb.data]);
    expect([...seen].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...batches(x, y, 3, new Rng(0))].map(([, b]) => [...b.data])).toEqual([...batches(x, y, 3, new Rng(0))].map(([, b]) => [...b.data]));
  });
});

describe('modules', () => {
  it('Dropout is seeded in training and the identity in eval', () => {
    const x = randn([4, 50], new Rng(0));
    const d1 = new nn.Dropout(0.5, { rng: new Rng(9) });
    const d2 = new nn.Dropout(0.5, { rng: new Rng(9) });
    const y = d1.forward(x);
    expect(y.data).toEqual(d2.forward(x).data);
    const zeros = [...y.data].filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(60);
    expect(zeros).toBeLessThan(140);
    y.data.forEach((v, i) => v !== 0 && expect(v).toBeCloseTo(2 * x.data[i], 5));
    expect(d1.eval().forward(x)).toBe(x);
  });

  it('stateDict / loadStateDict round trip and errors', () => {
    const a = net(new Rng(1));
    const b = net(new Rng(2));
    b.loadStateDict(a.stateDict());
    expect(b.parameters()[0].data).toEqual(a.parameters()[0].data);
    expect(a.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const partial = new Map([...a.stateDict()].slice(1));
    expect(() => b.loadStateDict(partial)).toThrow(/loadStateDict: missing \[0\.weight\], unexpected \[\]/);
    const wrong = a.stateDict();
    wrong.set('0.bias', tensor([1, 2]));
    expect(() => b.loadStateDict(wrong)).toThrow(/'0\.bias' has shape \[16\] but the state has \[2\]/);
    // the failed load copied nothing, not even the parameters listed before the bad one
    const c = net(new Rng(3));
    const weightBefore = c.parameters()[0].data.slice();
    expect(() => c.loadStateDict(wrong)).toThrow(/'0\.bias'/);
    expect(c.parameters()[0].data).toEqual(weightBefore);
    // non-strict loading takes what matches and ignores the rest
    c.loadStateDict(new Map([['0.weight', a.stateDict().get('0.weight')!], ['extra', tensor([1])]]), { strict: false });
    expect(c.parameters()[0].data).toEqual(a.parameters()[0].data);
  });
});

describe('bad input', () => {
  it('names the op and the shapes', () => {
    const rng = new Rng(0);
    const conv = new nn.Conv2d(3, 4, 3, { rng });
    expect(() => conv.forward(randn([1, 2, 8, 8], rng))).toThrow(/conv2d: input \[1, 2, 8, 8\] has 2 channels but weight \[4, 3, 3, 3\] expects 3/);
    expect(() => conv.forward(randn([1, 3, 2, 2], rng))).toThrow(/conv2d: kernel 3×3 is larger than the padded input 2×2/);
    expect(() => new nn.MaxPool2d(5).forward(randn([1, 1, 3, 3], rng))).toThrow(/maxPool2d: kernel 5×5 is larger than the padded input 3×3/);
    expect(() => new optim.SGD(conv.parameters(), { lr: -0.1 })).toThrow(/SGD: lr must be a finite number ≥ 0, got -0\.1/);
    expect(() => new optim.Adam(conv.parameters(), { lr: 0.1, betas: [1, 0.9] })).toThrow(/Adam: betas must be in \[0, 1\)/);
    expect(() => F.crossEntropy(randn([2, 3], rng), tensor([0, 3]))).toThrow(/crossEntropy: label 3 at position 1 is out of range \[0, 2\] for scores \[2, 3\]/);
    expect(() => F.nll(randn([2, 3], rng), tensor([-1, 0]))).toThrow(/nll: label -1 at position 0 is out of range \[0, 2\]/);
    expect(() => F.crossEntropy(randn([2, 3], rng), tensor([0.5, 1]))).toThrow(/crossEntropy: label 0\.5 at position 0 is out of range/);
    expect(() => new optim.Adam(conv.parameters(), { lr: -1e-3 })).toThrow(/Adam: lr must be a finite number ≥ 0, got -0\.001/);
    expect(() => new optim.SGD(conv.parameters(), { lr: 0.1, schedule: () => -1 }).step()).toThrow(/SGD schedule: lr must be a finite number ≥ 0, got -1/);
    expect(() => new nn.Conv2d(3, 4, 3, { rng, stride: 0 })).toThrow(/Conv2d: stride must be a positive integer, got 0/);
    expect(() => new nn.Conv2d(3, 4, 3, { rng, padding: [1, -1] })).toThrow(/Conv2d: padding must be a non-negative integer, got -1/);
    expect(() => new nn.MaxPool2d([2, 0])).toThrow(/MaxPool2d: kernel size must be a positive integer, got 0/);
    expect(() => new nn.MaxPool2d(2, { padding: 2 }).forward(randn([1, 1, 6, 6], rng))).toThrow(/maxPool2d: padding 2,2 must be at most half the kernel 2×2/);
    expect(() => F.crossEntropy(randn([2, 3], rng), tensor([0, 1, 2]))).toThrow(/crossEntropy: 3 labels for 2 rows of scores \[2, 3\]/);
    expect(() => new nn.Linear(4, 2, { rng }).forward(randn([3, 5], rng))).toThrow(/linear: input \[3, 5\] has 5 features but weight \[2, 4\] expects 4/);
    expect(() => new nn.Linear(4, 2, {} as never)).toThrow(/Linear: pass \{ rng: new Rng\(seed\) \}/);
    expect(() => new nn.Dropout(1, { rng })).toThrow(/Dropout: p must be in \[0, 1\)/);
  });
});
