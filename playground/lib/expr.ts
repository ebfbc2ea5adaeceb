// A small expression language for the autodiff lesson: numbers, variables, + − * / ^, unary minus,
// parentheses, and the engine's scalar functions. Parsed here, evaluated with the engine's ops.
import { tensor, type Tensor } from './engine.js';

export type Ast =
  | { kind: 'num'; value: number }
  | { kind: 'var'; name: string }
  | { kind: 'unary'; fn: string; arg: Ast }
  | { kind: 'binary'; op: string; left: Ast; right: Ast };

/** Function names → the engine's method (one argument) or binary op (two). */
export const UNARY = ['exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'softplus', 'square', 'neg'] as const;
export const BINARY_FN: Record<string, 'maximum' | 'minimum' | 'pow'> = { max: 'maximum', min: 'minimum', pow: 'pow' };
const OPS: Record<string, 'add' | 'sub' | 'mul' | 'div' | 'pow'> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '^': 'pow' };

export class ParseError extends Error {}

export function parse(src: string): Ast {
  const tokens = src.match(/\s*(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+|[A-Za-z_][A-Za-z_0-9]*|\*\*|[-+*/^(),]|\S)/gy)?.map((t) => t.trim()) ?? [];
  if (tokens.join('').length !== src.replace(/\s+/g, '').length) throw new ParseError('unexpected character');
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (tokens[i] !== t) throw new ParseError(`expected '${t}'${tokens[i] ? ` before '${tokens[i]}'` : ' at the end'}`);
    i++;
  };
  function expr(): Ast {
    let left = term();
    while (peek() === '+' || peek() === '-') {
      const op = next();
      left = { kind: 'binary', op: OPS[op], left, right: term() };
    }
    return left;
  }
  function term(): Ast {
    let left = unary();
    while (peek() === '*' || peek() === '/') {
      const op = next();
      left = { kind: 'binary', op: OPS[op], left, right: unary() };
    }
    return left;
  }
  function unary(): Ast {
    if (peek() === '-') {
      next();
      return { kind: 'unary', fn: 'neg', arg: unary() };
    }
    if (peek() === '+') {
      next();
      return unary();
    }
    return power();
  }
  function power(): Ast {
    const base = atom();
    if (peek() === '^' || peek() === '**') {
      next();
      return { kind: 'binary', op: 'pow', left: base, right: unary() };
    }
    return base;
  }
  function atom(): Ast {
    const t = next();
    if (t === undefined) throw new ParseError('unexpected end of the expression');
    if (t === '(') {
      const e = expr();
      expect(')');
      return e;
    }
    if (/^(\d|\.\d)/.test(t)) return { kind: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        next();
        const first = expr();
        if ((UNARY as readonly string[]).includes(t)) {
          expect(')');
          return { kind: 'unary', fn: t, arg: first };
        }
        if (t in BINARY_FN) {
          expect(',');
          const second = expr();
          expect(')');
          return { kind: 'binary', op: BINARY_FN[t], left: first, right: second };
        }
        throw new ParseError(`unknown function '${t}' (functions: ${[...UNARY, ...Object.keys(BINARY_FN)].join(', ')})`);
      }
      if ((UNARY as readonly string[]).includes(t) || t in BINARY_FN) throw new ParseError(`'${t}' is a function: write ${t}(…)`);
      return { kind: 'var', name: t };
    }
    throw new ParseError(`unexpected '${t}'`);
  }
  if (tokens.length === 0) throw new ParseError('empty expression');
  const ast = expr();
  if (i < tokens.length) throw new ParseError(`unexpected '${tokens[i]}'`);
  return ast;
}

/** The variables of an expression, in order of first appearance. */
export function variables(ast: Ast, out: string[] = []): string[] {
  if (ast.kind === 'var' && !out.includes(ast.name)) out.push(ast.name);
  if (ast.kind === 'unary') variables(ast.arg, out);
  if (ast.kind === 'binary') {
    variables(ast.left, out);
    variables(ast.right, out);
  }
  return out;
}

/** Evaluates with the engine's ops: every operation is one recorded node of the graph. */
export function evaluate(ast: Ast, env: Record<string, Tensor>): Tensor {
  switch (ast.kind) {
    case 'num':
      return tensor(ast.value);
    case 'var':
      return env[ast.name];
    case 'unary':
      return (evaluate(ast.arg, env) as unknown as Record<string, () => Tensor>)[ast.fn]();
    case 'binary':
      return (evaluate(ast.left, env) as unknown as Record<string, (o: Tensor) => Tensor>)[ast.op](evaluate(ast.right, env));
  }
}
