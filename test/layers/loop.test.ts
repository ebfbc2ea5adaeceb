// The one training loop (src/layers/loop.ts): its numbering, resume, non-finite checks and weighting.
import { describe, expect, it } from 'vitest';
import { explain, F, fit, nn, optim, Rng, randn, tensor, Tensor, type EpochLog, type Progress } from '../../src/index.js';
import { nodeOf } from '../../src/autograd/engine.js';
import { trainEpochs, type EpochCheckpoint, type TrainingState } from '../../src/layers/loop.js';
import type { Module } from '../../src/layers/module.js';
import type { Optimizer } from '../../src/layers/optim.js';

function problem() {
  const rng = new Rng(2);
  const x = randn([20, 4], rng);
  const y = tensor(Array.from({ length: 20 }, (_, i) => i % 3));
  const model = new nn.Sequential(new nn.Linear(4, 8, { rng: new Rng(3) }), new nn.Tanh(), new nn.Linear(8, 3, { rng: new Rng(3) }));
  return { x, y, model, optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }) };
}

/** A checkpoint in memory: the weights, the optimiser's buffers and the batch-order Rng, as progress.ts keeps them in a file. */
function memoryCheckpoint<R>(model: Module, optimizer: Optimizer, rng: Rng, store: { saved?: unknown }): EpochCheckpoint<R> {
  type Saved = { weights: Map<string, Tensor>; optimizer: ReturnType<Optimizer['stateDict']>; rng: ReturnType<Rng['getState']>; state: TrainingState<R> };
  return {
    save: (state) => {
      const weights = new Map([...model.stateDict()].map(([k, t]) => [k, new Tensor(t.data.slice(), t.shape)] as [string, Tensor]));
      store.saved = { weights, optimizer: optimizer.stateDict(), rng: rng.getState(), state: structuredClone(state) } satisfies Saved;
    },
    restore: () => {
      const s = store.saved as Saved | undefined;
      if (!s) return null;
      model.loadStateDict(s.weights);
      optimizer.loadStateDict(s.optimizer);
      rng.setState(s.rng);
      return structuredClone(s.state);
    },
  };
}

describe('the training loop', () => {
  it("keeps no gradient norms for explain() on its steps' graphs (a pass over every gradient), and a backward outside it still does", () => {
    const { x, y, model, optimizer } = problem();
    const losses: Tensor[] = [];
    trainEpochs({
      name: 'norms', model, optimizer, epochs: 1,
      beginEpoch: () => ({ batches: 2, step: () => {
        const loss = F.crossEntropy(model.forward(x), y);
        losses.push(loss);
        return { loss, weight: 1 };
      } }),
      endEpoch: (epoch, loss) => ({ log: { epoch, loss, accuracy: 0, seconds: 0 }, record: null }),
    });
    expect(losses.map((l) => nodeOf(l)?.gradNorm)).toEqual([undefined, undefined]);
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    expect(nodeOf(loss)?.gradNorm).toBe(1); // ‖∂L/∂L‖
    expect(explain(loss)).toContain('‖∂L/∂out‖');
  });

  it('numbers epochs and batches from 1 in the logs, the records and the progress reports', () => {
    const { x, y, model, optimizer } = problem();
    const events: Progress[] = [];
    const logs = fit(model, optimizer, { x, y }, { epochs: 3, batchSize: 8, rng: new Rng(4), onProgress: (p) => events.push(p) });
    expect(logs.map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.kind === 'batch').map((e) => e.kind === 'batch' && `${e.epoch}.${e.batch}/${e.batches}`)).toEqual(['1.1/3', '1.2/3', '1.3/3', '2.1/3', '2.2/3', '2.3/3', '3.1/3', '3.2/3', '3.3/3']);
    expect(events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && e.log.epoch)).toEqual([1, 2, 3]);
  });

  it('fit interrupted after epoch 2 resumes from its checkpoint to the numbers of an uninterrupted run, replaying afterEpoch', () => {
    const run = (interruptAfter: number | null, store: { saved?: unknown }) => {
      const { x, y, model, optimizer } = problem();
      const rng = new Rng(4);
      const seen: string[] = [];
      const afterEpoch = (log: EpochLog, restored?: number) => {
        const r = restored ?? log.loss * 10;
        seen.push(`${log.epoch}:${restored === undefined ? 'new' : 'restored'}`);
        return r;
      };
      const logs = fit<number>(model, optimizer, { x, y }, {
        epochs: 4, batchSize: 6, rng, validation: { x, y }, afterEpoch,
        checkpoint: memoryCheckpoint<number | null>(model, optimizer, rng, store),
        onProgress: (p) => {
          if (p.kind === 'epoch' && p.log.epoch === interruptAfter) throw new Error('interrupted');
        },
      });
      return { logs, seen, weights: [...model.parameters()[0].data] };
    };
    const whole = run(null, {});
    const store = {};
    expect(() => run(2, store)).toThrow('interrupted');
    const again = run(null, store);
    expect(again.seen).toEqual(['1:restored', '2:restored', '3:new', '4:new']);
    const numbers = (r: typeof whole) => JSON.stringify({ logs: r.logs.map(({ seconds: _s, ...l }) => l), weights: r.weights });
    expect(numbers(again)).toBe(numbers(whole));
  });

  it('a step that makes its own update: a non-finite loss stops the loop, naming the run, epoch and batch', () => {
    const { model, optimizer } = problem();
    const losses = [0.5, 0.25, Number.POSITIVE_INFINITY];
    let k = 0;
    expect(() =>
      trainEpochs<null>({
        name: 'custom', model, optimizer, epochs: 2,
        beginEpoch: () => ({ batches: 2, step: () => ({ loss: losses[k++], weight: 1 }) }),
        endEpoch: (epoch, loss) => ({ log: { epoch, loss, accuracy: NaN, seconds: 0 }, record: null }),
      }),
    ).toThrow(/custom: the loss became Infinity at epoch 2, batch 1;/);
  });

  it('the epoch loss is the weighted mean of the batch losses, and a loss tensor is back-propagated and stepped', () => {
    const { model, optimizer } = problem();
    const before = [...model.parameters()[0].data];
    const xb = randn([2, 4], new Rng(5));
    const { logs } = trainEpochs<null>({
      name: 'weighted', model, optimizer, epochs: 1,
      beginEpoch: () => ({
        batches: 3,
        step: (b) => (b === 3 ? { loss: model.forward(xb).sum().mul(0).add(4), weight: 2 } : { loss: b, weight: 1 }),
      }),
      endEpoch: (epoch, loss) => ({ log: { epoch, loss, accuracy: NaN, seconds: 0 }, record: null }),
    });
    expect(logs[0].loss).toBe((1 + 2 + 4 * 2) / 4);
    // the gradient of 0·sum(out) is 0, but Adam's step count moved: the optimiser ran
    expect(optimizer.stateDict().stepCount).toBe(1);
    expect([...model.parameters()[0].data]).toEqual(before);
  });
});
