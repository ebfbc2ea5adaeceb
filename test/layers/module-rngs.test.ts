// A module lists the random streams it draws from (Dropout's masks) through rngs(), so a checkpoint
// can save and restore them without reading private fields.
import { describe, expect, it } from 'vitest';
import { Dropout, Linear, ReLU, Sequential } from '../../src/layers/layers.js';
import { Rng } from '../../src/tensor/rng.js';

describe('Module.rngs', () => {
  it('lists every Dropout stream of the tree in registration order, and restoring them replays the masks', () => {
    const [a, b] = [new Rng(1), new Rng(2)];
    const net = new Sequential(new Linear(3, 4, { rng: new Rng(0) }), new Dropout(0.5, { rng: a }), new ReLU(), new Sequential(new Dropout(0.2, { rng: b })));
    expect(net.rngs()).toEqual([a, b]);
    expect(net.rngs()[0]).toBe(a);
    expect(new Linear(2, 2, { rng: new Rng(0) }).rngs()).toEqual([]);
    const saved = net.rngs().map((r) => r.getState());
    const x = new Linear(3, 3, { rng: new Rng(5) }).weight.detach();
    const first = net.forward(x).data.slice();
    net.rngs().forEach((r, i) => r.setState(saved[i]));
    expect(net.forward(x).data).toEqual(first);
  });
});
