/**
 * Worker thread of data-parallel training (dataParallel.ts): its own tfjs backend (backends are per thread), the flow
 * rebuilt from its config and the energy from the caller's module; per step it takes the current weights and its
 * share of the rows, and answers with the share's loss pieces and gradient. Node only; started by GradientPool.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, initBackend, isBoltzflowError, type Distribution, type Energy } from '@boltzflow/core';
import { bijectorFromConfig } from '@boltzflow/bijectors';
import { distributionFromConfig } from '@boltzflow/distributions';
import { withTemperature } from '@boltzflow/energies';
import { threadContext } from '#platform';
import type { WorkerFailure, WorkerSetup, WorkerShare, WorkerStep } from './dataParallel.js';
import { flowVariables } from './flowParts.js';
import { shareLoss } from './objective.js';

const context = threadContext();
if (!context) throw new Error('dataParallelWorker runs in a worker thread started by data-parallel training');
const { port } = context;
const setup = context.data as WorkerSetup;

function failure(e: unknown): WorkerFailure {
  return isBoltzflowError(e)
    ? { type: 'error', message: e.message, code: e.code, argument: e.details.argument }
    : { type: 'error', message: (e as Error)?.message ?? String(e) };
}

async function loadEnergy(spec: NonNullable<WorkerSetup['energy']>, dim: number): Promise<Energy> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec.module)) as Record<string, unknown>;
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `Could not import parallel.energyModule ${spec.module}: ${(e as Error).message}`, {
      argument: 'parallel.energyModule',
      expected: 'an importable module',
      received: spec.module,
    });
  }
  const factory = mod[spec.export];
  if (typeof factory !== 'function') {
    throw new BoltzflowError('INVALID_CONFIG', `parallel.energyModule ${spec.module} has no function export ${JSON.stringify(spec.export)}`, {
      argument: 'parallel.energyExport',
      expected: `a function exported as ${JSON.stringify(spec.export)} that builds the energy`,
      received: typeof factory,
    });
  }
  let energy: Energy;
  try {
    energy = (await (factory as (args: unknown) => unknown)(spec.args)) as Energy;
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `parallel.energyModule's ${spec.export}(energyArgs) threw: ${(e as Error)?.message ?? e}`, {
      argument: 'parallel.energyArgs',
      expected: `arguments that ${spec.export} accepts`,
      received: JSON.stringify(spec.args) ?? String(spec.args),
    });
  }
  if (!energy || typeof energy.energy !== 'function' || energy.dim !== dim) {
    throw new BoltzflowError('INVALID_CONFIG', `parallel.energyModule's ${spec.export}(energyArgs) must return an Energy of the flow's dimension`, {
      argument: 'parallel.energyModule',
      expected: `Energy with dim ${dim}`,
      received: energy && typeof energy.energy === 'function' ? `Energy with dim ${energy.dim}` : typeof energy,
    });
  }
  return energy;
}

async function start(): Promise<{ flow: Distribution; vars: tf.Variable[]; trainable: tf.Variable[]; energy?: Energy }> {
  await initBackend(setup.backend);
  const flow = distributionFromConfig(setup.flowConfig, { bijectorFromConfig });
  const { trainable, nonTrainable } = flowVariables(flow);
  const vars = [...trainable, ...nonTrainable];
  const shapes = vars.map((v) => v.shape.join('×')).join(', ');
  if (trainable.length !== setup.nTrainable || shapes !== setup.shapes.map((s) => s.join('×')).join(', ')) {
    throw new BoltzflowError('INVALID_CONFIG', 'The flow rebuilt from flow.toConfig() in a worker thread has other variables than the flow being trained', {
      argument: 'flow',
      expected: setup.shapes.map((s) => s.join('×')).join(', '),
      received: shapes,
    });
  }
  const energy = setup.energy ? await loadEnergy(setup.energy, flow.dim) : undefined;
  return { flow, vars, trainable, energy };
}

async function share(ctx: Awaited<ReturnType<typeof start>>, msg: WorkerStep): Promise<{ answer: WorkerShare; transfer: ArrayBuffer[] }> {
  const { flow, vars, trainable } = ctx;
  const dim = flow.dim;
  // What this thread holds between steps (reported, so that a leak here shows on the main thread).
  const tensors = tf.memory().numTensors;
  tf.tidy(() => {
    let off = 0;
    for (const v of vars) {
      v.assign(tf.tensor(msg.weights.subarray(off, off + v.size), v.shape, 'float32'));
      off += v.size;
    }
  });
  const energy = ctx.energy && msg.temperature !== undefined && msg.temperature !== 1 ? withTemperature(ctx.energy, msg.temperature) : ctx.energy;
  const batch = msg.ml ? tf.tensor2d(msg.ml, [msg.ml.length / dim, dim], 'float32') : undefined;
  const z = msg.z ? tf.tensor2d(msg.z, [msg.z.length / dim, dim], 'float32') : undefined;
  let kept: { nll?: tf.Scalar; kl?: tf.Scalar; logWeights?: tf.Tensor1D } = {};
  let out: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    out = tf.variableGrads(() => {
      const l = shareLoss(flow, energy, setup.weights, { batch, mlRows: msg.mlRows, z, klRows: msg.klRows });
      kept = { nll: l.nll && tf.keep(l.nll), kl: l.kl && tf.keep(l.kl), logWeights: l.logWeights && tf.keep(l.logWeights) };
      return l.loss;
    }, trainable);
  } finally {
    tf.dispose([batch, z].filter((t): t is tf.Tensor2D => t !== undefined));
  }
  const present = Uint8Array.from(trainable, (v) => (out.grads[v.name] != null ? 1 : 0));
  const flat = tf.tidy(() => tf.concat(trainable.map((v) => tf.reshape(out.grads[v.name] ?? tf.zeros(v.shape), [-1]))));
  const stats = tf.tidy(() => tf.stack([out.value, kept.nll ?? tf.scalar(0), kept.kl ?? tf.scalar(0)]));
  try {
    // Copies: a backend may hand out its own storage, which must not be transferred away.
    const grad = ((await flat.data()) as Float32Array).slice();
    const [loss, nll, kl] = Array.from(await stats.data());
    const logWeights = kept.logWeights ? ((await kept.logWeights.data()) as Float32Array).slice() : undefined;
    const answer: WorkerShare = { type: 'share', grad, present, loss, nll, kl, tensors, ...(logWeights ? { logWeights } : {}) };
    return { answer, transfer: [grad.buffer as ArrayBuffer, ...(logWeights ? [logWeights.buffer as ArrayBuffer] : [])] };
  } finally {
    tf.dispose([flat, stats, out.value, ...Object.values(out.grads).filter((g) => g != null)]);
    tf.dispose([kept.nll, kept.kl, kept.logWeights].filter((t) => t !== undefined) as tf.Tensor[]);
  }
}

const ready = start();
ready.then(
  () => port.postMessage({ type: 'ready' }),
  (e) => port.postMessage(failure(e)),
);
// Steps are answered one at a time, in order (the parent has at most one in flight).
let queue: Promise<unknown> = Promise.resolve();
port.on('message', (m) => {
  queue = queue.then(async () => {
    try {
      const { answer, transfer } = await share(await ready, m as WorkerStep);
      port.postMessage(answer, transfer);
    } catch (e) {
      port.postMessage(failure(e));
    }
  });
});
