/**
 * Custom energies typed as formulas in x1, x2 (also written x₁, x₂): parsed with mathjs' `parse` into an expression
 * tree, then walked into TF.js ops — never `eval` or `new Function`. Batched: `[n, 2]` in, `[n]` out.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { parse, type MathNode } from 'mathjs';
import { BoltzflowError, type Energy } from '@boltzflow/core';

type Op = (x1: tf.Tensor1D, x2: tf.Tensor1D) => tf.Tensor;

const UNARY: Record<string, (t: tf.Tensor) => tf.Tensor> = {
  exp: tf.exp,
  log: tf.log,
  sqrt: tf.sqrt,
  abs: tf.abs,
  sin: tf.sin,
  cos: tf.cos,
  tanh: tf.tanh,
  cosh: tf.cosh,
  sinh: tf.sinh,
};
const BINARY: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  subtract: tf.sub,
  multiply: tf.mul,
  divide: tf.div,
  pow: tf.pow,
};

function fail(formula: string, why: string): never {
  throw new BoltzflowError('INVALID_CONFIG', `Bad energy formula: ${why}`, {
    argument: 'formula',
    expected: `an expression in x1, x2 with + - * / ^, numbers, pi, e and ${Object.keys(UNARY).join(', ')}`,
    received: JSON.stringify(formula),
  });
}

function compileNode(node: MathNode, formula: string): Op {
  const n = node as MathNode & Record<string, unknown>;
  switch (node.type) {
    case 'ConstantNode': {
      const v = n.value;
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(formula, `constant ${String(v)} is not a finite number`);
      return () => tf.scalar(v);
    }
    case 'SymbolNode': {
      const name = n.name as string;
      if (name === 'x1') return (x1) => x1;
      if (name === 'x2') return (_x1, x2) => x2;
      if (name === 'pi') return () => tf.scalar(Math.PI);
      if (name === 'e') return () => tf.scalar(Math.E);
      return fail(formula, `unknown symbol '${name}' (use x1 and x2)`);
    }
    case 'ParenthesisNode':
      return compileNode(n.content as MathNode, formula);
    case 'OperatorNode': {
      const fn = n.fn as string;
      const args = (n.args as MathNode[]).map((a) => compileNode(a, formula));
      if (args.length === 1) {
        if (fn === 'unaryMinus') return (a, b) => tf.neg(args[0](a, b));
        if (fn === 'unaryPlus') return args[0];
      }
      const op = BINARY[fn];
      if (op && args.length === 2) return (a, b) => op(args[0](a, b), args[1](a, b));
      return fail(formula, `operator '${n.op as string}' is not supported`);
    }
    case 'FunctionNode': {
      const name = (n.fn as { name?: string }).name ?? '';
      const args = (n.args as MathNode[]).map((a) => compileNode(a, formula));
      const u = UNARY[name];
      if (u && args.length === 1) return (a, b) => u(args[0](a, b));
      if (name === 'pow' && args.length === 2) return (a, b) => tf.pow(args[0](a, b), args[1](a, b));
      return fail(formula, `function '${name}' with ${args.length} argument(s) is not supported`);
    }
    default:
      return fail(formula, `'${node.type}' is not supported`);
  }
}

/**
 * Parses `formula` (in x1, x2; `x₁`, `x₂`, `·`, `−` and `²`/`⁴` are accepted) into a batched TF.js function
 * `[n, 2] → [n]`. Throws a BoltzflowError('INVALID_CONFIG') naming `formula` for a syntax error, an unknown symbol or
 * function, or an expression that does not depend on x1 or x2 element-wise to a finite value at the origin.
 */
export function compileFormula(formula: string): (x: tf.Tensor2D) => tf.Tensor1D {
  if (typeof formula !== 'string' || formula.trim() === '') fail(String(formula), 'the formula is empty');
  if (formula.length > 2000) fail(formula.slice(0, 40), 'the formula is longer than 2000 characters');
  const normalised = formula
    .replace(/x₁/g, 'x1')
    .replace(/x₂/g, 'x2')
    .replace(/[·×]/g, '*')
    .replace(/[−–]/g, '-')
    .replace(/²/g, '^2')
    .replace(/³/g, '^3')
    .replace(/⁴/g, '^4');
  let tree: MathNode;
  try {
    tree = parse(normalised);
  } catch (e) {
    return fail(formula, (e as Error).message);
  }
  const op = compileNode(tree, formula);
  const fn = (x: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      const [x1, x2] = tf.unstack(x, 1) as [tf.Tensor1D, tf.Tensor1D];
      return tf.add(tf.zerosLike(x1), op(x1, x2)) as tf.Tensor1D;
    });
  const probe = tf.tidy(() => fn(tf.tensor2d([[0.1, 0.2]])).dataSync()[0]);
  if (!Number.isFinite(probe)) fail(formula, `u(0.1, 0.2) = ${probe} is not finite`);
  return fn;
}

/** A 2D {@link Energy} from a formula (see {@link compileFormula}); ∇u by autodiff. */
export class FormulaEnergy implements Energy {
  readonly dim = 2;
  readonly name: string;
  private readonly fn: (x: tf.Tensor2D) => tf.Tensor1D;
  constructor(readonly formula: string) {
    this.fn = compileFormula(formula);
    this.name = `formula: ${formula}`;
  }
  energy(x: tf.Tensor2D): tf.Tensor1D {
    return this.fn(x);
  }
}
