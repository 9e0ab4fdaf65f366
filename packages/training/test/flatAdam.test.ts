// FlatAdamOptimizer against tfjs's own AdamOptimizer (the reference): same gradients → bit-identical weights and moments.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '@boltzflow/core';
import { FlatAdamOptimizer } from '../src/index.js';

let uid = 0;
function model(seed: number): tf.Variable[] {
  const rng = createRng(seed);
  const id = uid++;
  return tf.tidy(() => [
    tf.variable(rng.normal([3, 5]), true, `fa${id}_w1`),
    tf.variable(rng.normal([5]), true, `fa${id}_b1`),
    tf.variable(rng.normal([5, 2]), true, `fa${id}_w2`),
    tf.variable(rng.normal([2]), true, `fa${id}_b2`),
  ]);
}

function loss(vars: tf.Variable[], x: tf.Tensor2D): tf.Scalar {
  const h = tf.tanh(tf.add(tf.matMul(x, vars[0]), vars[1]));
  return tf.mean(tf.square(tf.add(tf.matMul(h, vars[2]), vars[3]))) as tf.Scalar;
}

function step(opt: tf.Optimizer, vars: tf.Variable[], x: tf.Tensor2D, skip?: number): void {
  const { value, grads } = tf.variableGrads(() => loss(vars, x), vars);
  opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: (i === skip ? null : grads[v.name]) as tf.Tensor })));
  value.dispose();
  tf.dispose(Object.values(grads));
}

const values = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

describe('FlatAdamOptimizer', () => {
  it('gives bit-identical weights and saved slots to tf.train.adam, including a step with a null gradient', async () => {
    const before = tf.memory().numTensors;
    const a = model(1);
    const b = model(1);
    const x = createRng(2).normal([16, 3]) as tf.Tensor2D;
    const ref = tf.train.adam(0.05, 0.9, 0.999);
    const flat = new FlatAdamOptimizer(0.05, 0.9, 0.999);
    for (let s = 0; s < 12; s++) {
      const skip = s === 5 ? 2 : undefined; // one step where w2 has no gradient: its moments must stay put
      step(ref, a, x, skip);
      step(flat, b, x, skip);
      expect(values(b)).toEqual(values(a));
    }
    const wr = await ref.getWeights();
    const wf = await flat.getWeights();
    expect(wf.map((w) => w.name.replace(/^fa\d+_/, ''))).toEqual(wr.map((w) => w.name.replace(/^fa\d+_/, '')));
    expect(wf.map((w) => Array.from(w.tensor.dataSync()))).toEqual(wr.map((w) => Array.from(w.tensor.dataSync())));
    tf.dispose([wr[0].tensor, wf[0].tensor]); // the fresh iteration scalars
    expect(flat.getClassName()).toBe('Adam');
    // Continues identically after the save (slots re-flattened on the next step).
    step(ref, a, x);
    step(flat, b, x);
    expect(values(b)).toEqual(values(a));
    ref.dispose();
    flat.dispose();
    tf.dispose([...a, ...b, x]);
    // tfjs's AdamOptimizer itself leaves 2 tensors per instance after dispose() (4.22); nothing more may remain.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 4);
  });

  it('resumes from tf.train.adam weights (setWeights) and continues bit-identically', async () => {
    const before = tf.memory().numTensors;
    const a = model(3);
    const x = createRng(4).normal([8, 3]) as tf.Tensor2D;
    const ref = tf.train.adam(0.01);
    for (let s = 0; s < 3; s++) step(ref, a, x);
    const b = a.map((v, i) => tf.variable(v, true, `${v.name}_copy${i}`));
    const saved = await ref.getWeights();
    const flat = new FlatAdamOptimizer(0.01);
    // Rename the slots onto b's variables, as a checkpoint restore onto a rebuilt flow would.
    await flat.setWeights(saved.map((w, i) => (i === 0 ? w : { name: w.name, tensor: w.tensor })));
    saved[0].tensor.dispose();
    for (let s = 0; s < 4; s++) {
      step(ref, a, x);
      step(flat, b, x);
      expect(values(b)).toEqual(values(a));
    }
    ref.dispose();
    flat.dispose();
    tf.dispose([...a, ...b, x]);
    // tfjs's AdamOptimizer itself leaves 2 tensors per instance after dispose() (4.22); nothing more may remain.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 4);
  });
});
