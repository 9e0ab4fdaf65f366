import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError, removeCenterOfMass, type SerializedConfig } from '@boltzflow/core';
import { bijectorFromConfig, ContinuousFlow, EGNNVectorField, MLPVectorField, type VectorField } from '../src/index.js';
import { runBijectorSuite } from './bijectorSuite.js';

/** f(x) = A x (rows: x Aᵀ); its flow is exp(A t) with log-det t·Tr A. */
class LinearField implements VectorField {
  readonly dim: number;
  readonly a: tf.Variable;
  constructor(readonly matrix: number[][]) {
    this.dim = matrix.length;
    this.a = tf.variable(tf.tensor2d(matrix));
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, this.a, false, true);
  }
  get trainableVariables(): tf.Variable[] {
    return [this.a];
  }
  toConfig(): SerializedConfig {
    return { type: 'LinearTestField' };
  }
  dispose(): void {
    this.a.dispose();
  }
}

function matMul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
}
/** Matrix exponential in float64 by scaling and squaring of a 30-term Taylor series. */
function expm(a: number[][]): number[][] {
  const n = a.length;
  const norm = Math.max(...a.map((r) => r.reduce((s, v) => s + Math.abs(v), 0)));
  const sq = Math.max(0, Math.ceil(Math.log2(norm + 1e-300)) + 4);
  const as = a.map((r) => r.map((v) => v / 2 ** sq));
  let term: number[][] = a.map((_, i) => a.map((__, j) => (i === j ? 1 : 0)));
  let sum: number[][] = term.map((r) => r.slice());
  for (let k = 1; k < 30; k++) {
    term = matMul(term, as).map((r) => r.map((v) => v / k));
    sum = sum.map((r, i) => r.map((v, j) => v + term[i][j]));
  }
  for (let s = 0; s < sq; s++) sum = matMul(sum, sum);
  void n;
  return sum;
}

const A = [
  [-0.3, 0.8, 0.1],
  [-0.6, 0.2, 0.4],
  [0.05, -0.5, -0.4],
];
const trA = A[0][0] + A[1][1] + A[2][2];

describe('ContinuousFlow on a linear field', () => {
  for (const solver of ['rk4', 'dopri5'] as const) {
    it(`${solver}: y = exp(A) x and logDet = Tr A; inverse ∘ forward ≈ identity`, () => {
      const flow = new ContinuousFlow(new LinearField(A), { solver, steps: 20, tolerance: 1e-6 });
      const rng = createRng(3);
      const x = rng.normal([5, 3]) as tf.Tensor2D;
      const { y, logDet } = flow.forward(x);
      const E = expm(A);
      const xv = x.arraySync() as number[][];
      const yRef = xv.map((r) => E.map((row) => row.reduce((s, v, k) => s + v * r[k], 0)));
      const yv = y.arraySync() as number[][];
      for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(Math.abs(yv[i][j] - yRef[i][j])).toBeLessThan(2e-5);
      for (const v of logDet.arraySync() as number[]) expect(Math.abs(v - trA)).toBeLessThan(1e-5);
      const back = flow.inverse(y);
      expect(tf.max(tf.abs(tf.sub(back.x, x))).dataSync()[0]).toBeLessThan(2e-5);
      for (const v of back.logDet.arraySync() as number[]) expect(Math.abs(v + trA)).toBeLessThan(1e-5);
      tf.dispose([x, y, logDet, back.x, back.logDet]);
      flow.dispose();
    });
  }

  it('Hutchinson on a linear field is Tr A in expectation (Rademacher probes: exact diagonal, per-probe noise from off-diagonals)', () => {
    const flow = new ContinuousFlow(new LinearField(A), { trace: 'hutchinson', probe: 'gaussian', rng: createRng(9) });
    const x = tf.zeros([4000, 3]) as tf.Tensor2D;
    const est = flow.hutchinsonTrace(x, 0, flow.drawProbe(4000));
    const v = est.arraySync() as number[];
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / (v.length - 1));
    expect(Math.abs(mean - trA)).toBeLessThan((5 * sd) / Math.sqrt(v.length));
    tf.dispose([x, est]);
    flow.dispose();
  });
});

describe('ContinuousFlow with an MLP field', () => {
  it('Hutchinson estimator is unbiased: mean over many probes matches the exact trace within 5 standard errors', () => {
    for (const probe of ['rademacher', 'gaussian'] as const) {
      const field = new MLPVectorField({ dim: 4, hidden: [16], rng: createRng(5) });
      const flow = new ContinuousFlow(field, { trace: 'hutchinson', probe, rng: createRng(11) });
      const rng = createRng(2);
      const x0 = rng.normal([3, 4]) as tf.Tensor2D;
      const exact = flow.exactTrace(x0, 0.3).arraySync() as number[];
      const reps = 3000;
      const xs = tf.tile(x0, [reps, 1]) as tf.Tensor2D;
      const eps = flow.drawProbe(3 * reps);
      const est = tf.tidy(() => flow.hutchinsonTrace(xs, 0.3, eps).reshape([reps, 3]).arraySync() as number[][]);
      for (let s = 0; s < 3; s++) {
        const v = est.map((r) => r[s]);
        const mean = v.reduce((a, b) => a + b, 0) / reps;
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1));
        expect(Math.abs(mean - exact[s])).toBeLessThan((5 * sd) / Math.sqrt(reps) + 1e-5);
      }
      tf.dispose([x0, xs, eps]);
      flow.dispose();
    }
  });

  it('exact trace in chunks (maxTraceBatch) equals the one-pass trace, values and weight gradients, and leaks nothing', () => {
    const field = new MLPVectorField({ dim: 4, hidden: [16], rng: createRng(6) });
    const whole = new ContinuousFlow(field, { steps: 3 });
    const chunked = new ContinuousFlow(field, { steps: 3, maxTraceBatch: 9 }); // 2 samples (8 rows) per chunk
    const x = createRng(3).normal([7, 4]) as tf.Tensor2D;
    const a = whole.exactTrace(x, 0.4);
    const before = tf.memory().numTensors;
    const b = chunked.exactTrace(x, 0.4);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-6);
    const grads = (f: ContinuousFlow) => tf.variableGrads(() => tf.mean(f.forward(x).logDet) as tf.Scalar, field.trainableVariables).grads;
    const ga = grads(whole);
    const gb = grads(chunked);
    for (const k of Object.keys(ga)) expect(tf.max(tf.abs(tf.sub(ga[k], gb[k]))).dataSync()[0]).toBeLessThan(1e-5);
    expect(() => new ContinuousFlow(field, { maxTraceBatch: 0 })).toThrow(/'maxTraceBatch'/);
    tf.dispose([x, a, b, ...Object.values(ga), ...Object.values(gb)]);
    field.dispose();
  });

  it('dopri5 throws NOT_CONVERGED naming the time reached when the step budget is exceeded', () => {
    const flow = new ContinuousFlow(new MLPVectorField({ dim: 2, hidden: [8], rng: createRng(1) }), { solver: 'dopri5', tolerance: 1e-9, maxSteps: 3 });
    const x = tf.ones([2, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      flow.forward(x);
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('NOT_CONVERGED');
    expect(String((err as Error).message)).toMatch(/t = \d/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    flow.dispose();
  });

  it('dopri5 matches rk4 with many steps', () => {
    const make = (o: object) => new ContinuousFlow(new MLPVectorField({ dim: 3, hidden: [16], rng: createRng(4) }), o);
    const a = make({ solver: 'dopri5', tolerance: 1e-6 });
    const b = make({ solver: 'rk4', steps: 50 });
    const x = createRng(8).normal([6, 3]) as tf.Tensor2D;
    const fa = a.forward(x);
    const fb = b.forward(x);
    expect(tf.max(tf.abs(tf.sub(fa.y, fb.y))).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(fa.logDet, fb.logDet))).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([x, fa.y, fa.logDet, fb.y, fb.logDet]);
    a.dispose();
    b.dispose();
  });
});

/** Directional derivative of a scalar loss in all of `vars`: autodiff g·d against the central difference along d. */
function directionalCheck(loss: () => tf.Scalar, vars: tf.Variable[], seed: number, h = 1e-2): { autodiff: number; fd: number } {
  const rng = createRng(seed);
  const dirs = vars.map((v) => rng.normal(v.shape) as tf.Tensor);
  const norm = Math.sqrt(dirs.reduce((s, d) => s + tf.sum(tf.square(d)).dataSync()[0], 0));
  const { value, grads } = tf.variableGrads(loss, vars);
  const autodiff = vars.reduce((s, v, i) => s + tf.sum(tf.mul(grads[v.name], dirs[i])).dataSync()[0], 0) / norm;
  const saved = vars.map((v) => v.clone());
  const shifted = (sign: number) => {
    vars.forEach((v, i) => v.assign(tf.add(saved[i], tf.mul(dirs[i], (sign * h) / norm))));
    return tf.tidy(() => loss().dataSync()[0]);
  };
  const fd = (shifted(1) - shifted(-1)) / (2 * h);
  vars.forEach((v, i) => v.assign(saved[i]));
  tf.dispose([value, ...Object.values(grads), ...dirs, ...saved]);
  return { autodiff, fd };
}

describe('ContinuousFlow log-det gradients in the weights (second-order autodiff)', () => {
  const cases: [string, () => { field: VectorField; steps: number; x: tf.Tensor2D }][] = [
    [
      'MLP field, tanh',
      () => ({
        field: new MLPVectorField({ dim: 2, hidden: [16], activation: 'tanh', rng: createRng(1) }),
        steps: 6,
        x: createRng(2).normal([8, 2]) as tf.Tensor2D,
      }),
    ],
    [
      'MLP field, silu',
      () => ({
        field: new MLPVectorField({ dim: 2, hidden: [16], activation: 'silu', rng: createRng(3) }),
        steps: 6,
        x: createRng(4).normal([8, 2]) as tf.Tensor2D,
      }),
    ],
    [
      'EGNN field (silu messages, tanh coordinate weights)',
      () => ({
        field: new EGNNVectorField({ particles: 3, spatialDim: 2, hidden: 8, layers: 2, rng: createRng(5) }),
        steps: 4,
        x: tf.tidy(() => removeCenterOfMass(createRng(6).normal([6, 6]) as tf.Tensor2D, 3, 2)),
      }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: ∂/∂θ of the mean log-det and of the output match central differences (exact and Hutchinson trace)`, () => {
      const { field, steps, x } = make();
      const c = createRng(7).normal([1, field.dim]);
      for (const trace of ['exact', 'hutchinson'] as const) {
        // A flow rebuilt with the same probe stream per evaluation makes the Hutchinson log-det a fixed function of θ.
        const loss = () =>
          tf.tidy(() => {
            const { y, logDet } = new ContinuousFlow(field, { steps, trace, rng: createRng(11) }).forward(x);
            return tf.add(tf.mean(logDet), tf.mean(tf.mul(y, c))) as tf.Scalar;
          });
        const { autodiff, fd } = directionalCheck(loss, field.trainableVariables, 8);
        expect(Math.abs(autodiff - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
      }
      tf.dispose([x, c]);
      field.dispose?.();
    });
  }
});

runBijectorSuite(
  'ContinuousFlow (MLP field, rk4, exact trace)',
  () => new ContinuousFlow(new MLPVectorField({ dim: 3, hidden: [16], rng: createRng(7) }), { steps: 16 }),
  {
    dim: 3,
    largeBatch: 200,
    jacobianSamples: 4,
    fromConfig: bijectorFromConfig,
    checkBadInput: true,
  },
);
