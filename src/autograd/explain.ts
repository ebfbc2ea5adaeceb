/**
 * explain(t): the recorded graph behind t as text, one line per tensor in the order it was
 * computed: the op, its input shapes, its output shape and, after backward(), the norm of the
 * gradient that flowed through it. Meant for teaching and debugging. With `format: 'dot'` or
 * `'svg'` it returns a picture of the same graph instead (see graph-picture.ts).
 */
import { euclideanNorm } from '../tensor/norm.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nodeOf, topoSort } from './engine.js';
import { buildPicture, DEFAULT_MAX_NODES, toDot, toSvg } from './graph-picture.js';

export interface ExplainOptions {
  /** 'text' (default): one line per tensor; 'dot': Graphviz DOT; 'svg': an SVG laid out by dagre. */
  format?: 'text' | 'dot' | 'svg';
  /**
   * The most nodes a picture may have (default 100): a larger graph has its repeated blocks
   * collapsed into boxes "×N", then its earliest nodes elided. Infinity draws every node.
   */
  maxNodes?: number;
}

export function explain(root: Tensor, options: ExplainOptions = {}): string {
  const { format = 'text', maxNodes = DEFAULT_MAX_NODES } = options;
  if (format === 'dot') return toDot(buildPicture(root, maxNodes));
  if (format === 'svg') return toSvg(buildPicture(root, maxNodes));
  if (format !== 'text') throw new Error(`explain: format must be 'text', 'dot' or 'svg' (got ${String(format)})`);
  return explainText(root);
}

function explainText(root: Tensor): string {
  if (!root.requiresGrad) return `${root.name ?? 'tensor'} ${fmt(root.shape)} (no graph recorded: requiresGrad is false)`;
  const order = topoSort(root);
  const label = new Map<Tensor, string>();
  const lines: string[] = [];
  let leaves = 0;
  for (const t of order) {
    const node = nodeOf(t);
    if (!node) {
      const name = t.name ?? `x${leaves++}`;
      label.set(t, name);
      const g = t.grad ? `  ‖grad‖ = ${euclideanNorm(t.grad.data).toPrecision(4)}` : '';
      lines.push(`${name.padEnd(6)} leaf ${fmt(t.shape)}${g}`);
      continue;
    }
    const name = t.name ?? `t${node.id}`;
    label.set(t, name);
    const args = node.inputs.map((x) => label.get(x) ?? `const${fmt(x.shape)}`).join(', ');
    const g = node.gradNorm !== undefined ? `  ‖∂L/∂out‖ = ${node.gradNorm.toPrecision(4)}` : '';
    lines.push(`${name.padEnd(6)} = ${node.op.name}(${args}) → ${fmt(t.shape)}${g}`);
  }
  return lines.join('\n');
}
