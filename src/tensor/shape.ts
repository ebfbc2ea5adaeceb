/**
 * Shapes, strides, broadcasting and axis handling. Every check here throws an Error that names
 * the op and the shapes involved, so a bad call fails where it is made.
 */

export type Shape = readonly number[];

/** `[2, 3]` → `"[2, 3]"`, used in every error message. */
export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides: the last axis moves fastest. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A value as an error message shows it: its type, and the value itself when it is short. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `the ${typeof v} ${String(v)}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
  return String(typeof v);
}

export function assertShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) {
    const hint = typeof shape === 'number' ? ` (write [${shape}])` : '';
    throw new TypeError(`${op}: shape must be an array of non-negative integers, got ${describeValue(shape)}${hint}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: invalid shape ${fmt(shape)}: every dimension must be a non-negative integer`);
    }
  }
}

/**
 * NumPy broadcasting: align shapes on the right; two dimensions are compatible when equal or
 * when one of them is 1.
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new Error(
          `${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together ` +
            `(dimension ${o - rank} is ${out[o]} vs ${d}; each pair must be equal or 1)`,
        );
      }
    }
  }
  return out;
}

/**
 * Strides that read `shape` as if it had been broadcast to `outShape`: a broadcast (size-1 or
 * missing) dimension gets stride 0.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const strides = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) strides[offset + i] = shape[i] === 1 ? 0 : own[i];
  return strides;
}

/** Resolves a possibly negative axis against `rank`, with an error naming the op. */
export function normAxis(op: string, axis: number, rank: number, shape?: Shape): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    const where = shape ? ` for a tensor of shape ${fmt(shape)}` : '';
    throw new Error(`${op}: axis ${axis} is out of range${where} (expected an integer in [${-rank}, ${rank - 1}])`);
  }
  return a;
}

/** Axes to reduce over, sorted and unique; `undefined` means all axes. */
export function normAxes(op: string, axis: number | readonly number[] | undefined, shape: Shape): number[] {
  if (axis === undefined) return shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const axes = [...new Set(list.map((a) => normAxis(op, a, shape.length, shape)))].sort((x, y) => x - y);
  if (axes.length !== list.length) throw new Error(`${op}: repeated axis in [${list.join(', ')}] for shape ${fmt(shape)}`);
  return axes;
}

/** The shape left after reducing `axes`, with size-1 dimensions kept where `keepDims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** Resolves one `-1` in a reshape target against the element count. */
export function resolveReshape(op: string, from: Shape, to: readonly number[]): number[] {
  const n = sizeOf(from);
  const unknown = to.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`${op}: only one dimension may be -1, got ${fmt(to)}`);
  for (const d of to) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new Error(`${op}: invalid target shape ${fmt(to)}`);
  }
  const known = to.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = to.map((d) => (d === -1 ? (known === 0 ? 0 : n / known) : d));
  if (sizeOf(out) !== n || out.some((d) => !Number.isInteger(d))) {
    throw new Error(`${op}: cannot reshape ${fmt(from)} (${n} elements) into ${fmt(to)}`);
  }
  return out;
}

/** Checks that `perm` is a permutation of 0..rank-1 (negative axes allowed). */
export function normPerm(op: string, perm: readonly number[], shape: Shape): number[] {
  if (perm.length !== shape.length) {
    throw new Error(`${op}: permutation [${perm.join(', ')}] has ${perm.length} axes, tensor of shape ${fmt(shape)} has ${shape.length}`);
  }
  const p = perm.map((a) => normAxis(op, a, shape.length, shape));
  if (new Set(p).size !== p.length) throw new Error(`${op}: [${perm.join(', ')}] is not a permutation of the axes of ${fmt(shape)}`);
  return p;
}

/** Bytes in SI units, for errors about memory: 4e12 → "4 TB". */
function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let u = 0;
  while (bytes >= 1000 && u < units.length - 1) {
    bytes /= 1000;
    u++;
  }
  return `${Number(bytes.toPrecision(3))} ${units[u]}`;
}

/**
 * A zeroed Float32Array of n elements for `op`; a size no array can have is a RangeError saying
 * how much memory it would need (instead of the engine's bare "Invalid typed array length").
 */
export function allocate(op: string, n: number, shape?: Shape): Float32Array {
  try {
    return new Float32Array(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const what = shape ? `shape ${fmt(shape)} has` : 'it has';
    throw new RangeError(`${op}: ${what} ${n >= 1e9 ? n.toExponential() : n} elements, which needs ${formatBytes(4 * n)} of memory: more than one array can hold here`);
  }
}
