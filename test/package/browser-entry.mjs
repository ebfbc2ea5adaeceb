// The browser side of browser.test.ts: the shared training program, bundled for the page.
import { trainProgram } from './train-program.mjs';

globalThis.gibbsgradResult = trainProgram().then((result) => ({ result, crossOriginIsolated: globalThis.crossOriginIsolated === true }));
