// The Metropolis–Hastings decision, row mask and validity checks of proposal.ts against plain JavaScript references
// of their definitions, on inputs with NaN, ±∞ and invalid proposals. On WASM (the test backend) outside a gradient
// tape they run as core's heap kernels; inside a tape as tfjs ops, which must give the same values.
import * as tf from '@tensorflow/tfjs';
import { createRng, wasmMetropolisKernels } from '@boltzflow/core';
import { describe, expect, it } from 'vitest';
import { finiteRows, mhDecision, rowMask, selectRows, validProposal } from '../src/proposal.js';

const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

function inputs(n: number, seed: number) {
  const rng = createRng(seed);
  const u = rng.uniformArray(4 * n);
  const logRatio = Float32Array.from({ length: n }, (_, i) => (u[i]! < 0.15 ? SPECIAL[i % 3]! : (u[n + i]! - 0.6) * 3));
  const logU = Float32Array.from({ length: n }, (_, i) => Math.log(u[2 * n + i]!));
  const valid = Uint8Array.from({ length: n }, (_, i) => (u[3 * n + i]! < 0.8 ? 1 : 0));
  return { logRatio, logU, valid };
}

/** mhDecision by its definition. */
function reference(logRatio: Float32Array, logU: Float32Array, valid?: Uint8Array) {
  const clean = Array.from(logRatio, (r, i) => {
    const ok = valid ? valid[i] === 1 && !Number.isNaN(r) : Number.isFinite(r);
    return ok ? r : Number.NEGATIVE_INFINITY;
  });
  const mask = clean.map((c, i) => (logU[i]! < c ? 1 : 0));
  return { clean, mask };
}

function decide(logRatio: Float32Array, logU: Float32Array, valid: Uint8Array | undefined, inTape: boolean) {
  const run = () => {
    const ins = [tf.tensor1d(logRatio), tf.tensor1d(logU), ...(valid ? [tf.tensor1d(valid, 'bool')] : [])] as tf.Tensor1D[];
    const out = mhDecision(ins[0]!, ins[1]!, ins[2]);
    const got = {
      clean: Array.from(out.logAcceptRatio.dataSync()),
      mask: Array.from(out.mask.dataSync()),
      accepted: Array.from(out.accepted.dataSync()),
      dtype: out.mask.dtype,
    };
    tf.dispose([...ins, out.logAcceptRatio, out.mask, out.accepted]);
    return got;
  };
  if (!inTape) return tf.tidy(run);
  // Inside a gradient tape the tfjs ops run (the heap kernels record no gradient).
  let got!: ReturnType<typeof run>;
  tf.tidy(() =>
    tf.grad((x: tf.Tensor) => {
      got = run();
      return tf.sum(x);
    })(tf.scalar(1)),
  );
  return got;
}

describe('Metropolis–Hastings decision (proposal.ts)', () => {
  it('runs on the heap kernels on wasm outside a tape, not inside one', () => {
    if (tf.getBackend() !== 'wasm') return;
    expect(wasmMetropolisKernels()).not.toBeNull();
    let inside: unknown = 'unset';
    tf.tidy(() =>
      tf.grad((x: tf.Tensor) => {
        inside = wasmMetropolisKernels();
        return tf.sum(x);
      })(tf.scalar(1)),
    );
    expect(inside).toBeNull();
  });

  for (const withValid of [false, true])
    for (const inTape of [false, true])
      it(`matches its definition with NaN/±∞ ratios${withValid ? ' and invalid proposals' : ''}${inTape ? ', inside a gradient tape' : ''}`, () => {
        const before = tf.memory().numTensors;
        for (const [n, seed] of [
          [1, 1],
          [7, 2],
          [4099, 3],
        ] as const) {
          const { logRatio, logU, valid } = inputs(n, seed);
          const want = reference(logRatio, logU, withValid ? valid : undefined);
          const got = decide(logRatio, logU, withValid ? valid : undefined, inTape);
          expect(got.dtype).toBe('bool');
          expect(got.mask).toEqual(want.mask);
          expect(got.accepted).toEqual(want.mask);
          got.clean.forEach((c, i) => expect(Object.is(c, Math.fround(want.clean[i]!))).toBe(true));
        }
        // (Inside a tape tfjs keeps the intermediates of unconnected ops; outside, nothing may stay.)
        if (!inTape) expect(tf.memory().numTensors).toBe(before);
      });

  it('row mask, finite rows and valid proposals match their definitions', () => {
    const before = tf.memory().numTensors;
    const n = 1003;
    const rng = createRng(9);
    const accepted = Float32Array.from(rng.uniformArray(n), (v) => (v < 0.4 ? 1 : 0));
    const rowsA = Float32Array.from(rng.normalArray(n * 3), (v, i) => (i % 97 === 5 ? SPECIAL[i % 3]! : v));
    const rowsB = Float32Array.from(rng.normalArray(n * 2), (v, i) => (i % 89 === 3 ? SPECIAL[(i + 1) % 3]! : v));
    const energy = Float32Array.from(rng.normalArray(n), (v, i) => (i % 83 === 1 ? SPECIAL[(i + 2) % 3]! : v));
    const rowOk = (x: Float32Array, d: number, i: number) => Array.from(x.subarray(i * d, (i + 1) * d)).every(Number.isFinite);
    tf.tidy(() => {
      for (const d of [1, 2, 5]) {
        const m = rowMask(tf.tensor1d(accepted), d);
        expect(m.shape).toEqual([n, d]);
        expect(m.dtype).toBe('bool');
        expect(Array.from(m.dataSync())).toEqual(Array.from({ length: n * d }, (_, k) => accepted[Math.floor(k / d)]));
      }
      const a = tf.tensor2d(rowsA, [n, 3]);
      const b = tf.tensor2d(rowsB, [n, 2]);
      const fr = finiteRows(a, b);
      expect(fr.dtype).toBe('bool');
      expect(Array.from(fr.dataSync())).toEqual(Array.from({ length: n }, (_, i) => (rowOk(rowsA, 3, i) && rowOk(rowsB, 2, i) ? 1 : 0)));
      // Row-wise selects, of [n, d] rows by a row mask and of [n] values by a bool mask: exact copies, NaN included.
      const accMask = tf.cast(tf.tensor1d(accepted), 'bool') as tf.Tensor1D;
      const other = tf.tensor2d(
        Float32Array.from(rowsA, (v) => -v),
        [n, 3],
      );
      const picked = selectRows(rowMask(tf.tensor1d(accepted), 3), a, other).dataSync();
      rowsA.forEach((v, k) => expect(Object.is(picked[k], accepted[Math.floor(k / 3)] ? v : Math.fround(-v))).toBe(true));
      const e2 = tf.tensor1d(Float32Array.from(energy, (v) => v + 1));
      const pickedE = selectRows(accMask, tf.tensor1d(energy), e2).dataSync();
      energy.forEach((v, i) => expect(Object.is(pickedE[i], accepted[i] ? v : Math.fround(v + 1))).toBe(true));
      const vp = validProposal(tf.tensor1d(energy), a, b);
      expect(Array.from(vp.dataSync())).toEqual(
        Array.from({ length: n }, (_, i) => (Number.isFinite(energy[i]!) && rowOk(rowsA, 3, i) && rowOk(rowsB, 2, i) ? 1 : 0)),
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
