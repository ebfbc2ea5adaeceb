// The browser side of browser.test.ts: the shared training program, bundled for the page.
import { configureWasm } from 'gibbsgrad';
import { trainProgram } from './train-program.mjs';

// ?fma=0 or 1: the GEMM kernel the Node side uses (Node 20 has no relaxed SIMD, Chromium does), so
// that both compute the same bits.
const fma = new URL(globalThis.location.href).searchParams.get('fma');
if (fma !== null) configureWasm({ fusedMultiplyAdd: fma === '1' });

globalThis.gibbsgradResult = trainProgram().then((result) => ({ result, crossOriginIsolated: globalThis.crossOriginIsolated === true }));
