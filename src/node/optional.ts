/**
 * The packages only some features need (the MNIST digits, the figure renderer) are optional peer
 * dependencies: a user of the engine alone does not install them. Loading one that is missing
 * throws an error that names the package and the command that installs it.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function isMissing(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string }).code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((e as Error).message).includes(pkg);
}

function missing(pkg: string, feature: string, cause: unknown): Error {
  return new Error(`${feature}: the npm package '${pkg}' is not installed (npm install ${pkg})`, { cause });
}

/** require() of a file of an optional CommonJS package. */
export function requireOptional<T>(pkg: string, file: string, feature: string): T {
  try {
    return require(file) as T;
  } catch (e) {
    throw isMissing(e, pkg) ? missing(pkg, feature, e) : e;
  }
}

/** The path of a file inside an optional package (a data file, say), without loading it. */
export function resolveOptional(pkg: string, file: string, feature: string): string {
  try {
    return require.resolve(file);
  } catch (e) {
    throw isMissing(e, pkg) ? missing(pkg, feature, e) : e;
  }
}

/** import() of an optional package. */
export async function importOptional<T>(pkg: string, feature: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (e) {
    throw isMissing(e, pkg) ? missing(pkg, feature, e) : e;
  }
}
