/**
 * The Euclidean norm √(Σ v²) of a list of numbers, summed in float64 (a gradient's ‖grad‖ in
 * explain() and the graph picture; the size of bayes-prior's filters).
 */
export function euclideanNorm(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v * v;
  return Math.sqrt(s);
}
