// The engine, through its public API only (the package's main entry, src/index.ts).
export * from '../../src/index.js';
