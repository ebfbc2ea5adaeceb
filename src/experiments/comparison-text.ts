/**
 * A claim's comparisons in words, for its `measured` text: each difference with its standard
 * error and how many SEs it is, so a reader sees which verdicts are close (and need more seeds)
 * without recomputing them from the values.
 */
import { formatQuantity, type Comparison, type Quantity } from './claims.js';

/** The quantity a comparison side names (a constant has SE 0). */
function side(values: Record<string, Quantity>, k: string | number): Quantity {
  if (typeof k === 'number') return { value: k, se: 0, unit: 'number' };
  const q = values[k];
  if (!q) throw new Error(`describeComparisons: '${k}' is not among the values (${Object.keys(values).join(', ')})`);
  return q;
}

/**
 * "f1=12 − f1=4 = −0.25 ± 0.24% (1.0 SE)" per comparison, joined by "; ". The difference is
 * left − right − margin, signed so that the comparison asks for it to be negative ('<') or
 * positive ('>'); the SE is √(SE_left² + SE_right²) (the quantities treated as independent).
 */
export function describeComparisons(values: Record<string, Quantity>, test: readonly Comparison[]): string {
  return test
    .map((c) => {
      const l = side(values, c.left);
      const r = side(values, c.right);
      const d = l.value - r.value - (c.margin ?? 0);
      const se = l.se === undefined || r.se === undefined ? undefined : Math.hypot(l.se, r.se);
      const unit = l.unit === 'percent' || r.unit === 'percent' ? 'percent' : 'number';
      const rightName = typeof c.right === 'number' ? String(c.right) : c.right;
      const margin = c.margin ? ` ${c.margin > 0 ? '−' : '+'} ${+Math.abs(c.margin).toPrecision(3)}` : '';
      const z = se !== undefined && se > 0 ? ` (${(Math.abs(d) / se).toFixed(1)} SE)` : se === undefined ? ' (no SE)' : '';
      const lhs = c.right === 0 && !c.margin ? c.left : `${c.left} − ${rightName}${margin}`;
      return `${lhs} = ${formatQuantity({ value: d, ...(se === undefined ? {} : { se }), unit })}${z}`;
    })
    .join('; ');
}
