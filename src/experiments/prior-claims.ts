/**
 * The claim prior-kl and random-labels share: "P̂(F1) is close to P(X)" (LB-repr §5.1, §5.2.2;
 * LB-bayes §4.2, §4.4). The papers show it on one randomly chosen test image and call
 * KL[P(X)‖P̂(F1)] = 0.83, 0.49, 0.60, 0.47 "close" (or "small", an "accurate prior") beside that
 * image's own KL[P(X)‖P̂(x)] = 0.62, 0.53, 0.81, 0.66 — ratios 1.34, 0.92, 0.74, 0.71 — while
 * LB-repr Fig. 4 calls 1.59 the worse prior. We read "close" as KL(F1) below twice KL(x), and test
 * it on the averages over all test images (each with its SE over images; the one image's values,
 * which have no SE, are in `measured`).
 */
import type { ClaimList, Comparison, Quantity } from './claims.js';
import { PAPER_BINS, type ImageKlStats, type KlByBins } from './cnn.js';
import { num } from './common.js';
import { describeComparisons } from './comparison-text.js';

export const CLOSE_FACTOR = 2;

export interface CloseToPrior {
  /** Who: e.g. 'CNN1 (LB-repr Table 1)'. */
  subject: string;
  paperValue: string;
  /** Average KL(F1) over the test images, per bin count. */
  average: KlByBins<Quantity>;
  /** The test images' own KL(x), per bin count. */
  imageKl: Record<string, ImageKlStats>;
  /** The chosen test image: its KL(x) and KL(F1), per bin count. */
  testImage: { index: number; klX: KlByBins; klF1: KlByBins };
  /** Anything else for `measured` (sizes, the values at initialisation). */
  extra?: (bins: number, field: 'raw' | 'scaled') => string;
}

/** The claim text's prefix for a bin count: none for the main claims' bins. */
export const binsTag = (bins: number) => (bins === PAPER_BINS ? '' : `${bins} bins (sensitivity): `);

/** Adds the scale-matched and the raw claim "P̂(F1) is close to P(X)" on `bins` bins. */
export function addCloseToPriorClaims(claims: ClaimList, c: CloseToPrior, bins: number): void {
  for (const { field, name } of [
    { field: 'scaled', name: 'scale-matched KL' },
    { field: 'raw', name: 'raw KL' },
  ] as const) {
    const klX = c.imageKl[bins].mean;
    const values: Record<string, Quantity> = {
      'KL(F1)': c.average[bins][field],
      [`${CLOSE_FACTOR} × KL(x)`]: { value: CLOSE_FACTOR * klX.value, ...(klX.se === undefined ? {} : { se: CLOSE_FACTOR * klX.se }), unit: 'number' },
    };
    const test: Comparison[] = [{ left: 'KL(F1)', op: '<', right: `${CLOSE_FACTOR} × KL(x)` }];
    const imageF1 = c.testImage.klF1[bins][field];
    const imageX = c.testImage.klX[bins].raw;
    claims.add({
      claim: `${binsTag(bins)}${c.subject}: P̂(F1) is close to P(X) — average KL[P(X)‖P̂(F1)] over test images below ${CLOSE_FACTOR} × the images' own average KL[P(X)‖P̂(x)] (${name})`,
      paperValue: c.paperValue,
      measured:
        `${describeComparisons(values, test)}; the test image #${c.testImage.index}: KL(F1) ${num(imageF1)} vs KL(x) ${num(imageX)}, ratio ${num(imageF1 / imageX, 2)} (one image, no SE); ${bins} bins` +
        (c.extra ? `; ${c.extra(bins, field)}` : ''),
      values,
      test,
      note: `"close" read as KL(F1) < ${CLOSE_FACTOR} × KL(x): the papers' "close" ratios are 0.71–1.34 and LB-repr Fig. 4 calls 1.59 a worse prior; SE over the test images, for one training`,
    });
  }
}
