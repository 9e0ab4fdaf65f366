// worker_threads child of the `parallel` bench section (issue #20): runs one share of the chains of an RWM or MALA
// sampler on its own tfjs WASM backend (tfjs backends are per thread), after the parent's "go", and reports its steps.
import { parentPort, workerData } from 'node:worker_threads';
import { createRng, initBackend, tf, type ChainState, type Kernel } from '@boltzflow/core';
import { DoubleWell } from '@boltzflow/energies';
import { disposeStateExcept, mala, randomWalkMetropolis } from '@boltzflow/mcmc';

interface Job {
  kind: 'rwm' | 'mala';
  chains: number;
  steps: number;
  /** Seed words of this worker's stream (the parent splits one seed into one stream per worker). */
  seed: number[];
}

const port = parentPort;
if (!port) throw new Error('mcmcParallelWorker must run in a worker thread');
const job = workerData as Job;
await initBackend('wasm');
tf.env().set('PROD', true);
const target = new DoubleWell();
const kernel = (job.kind === 'rwm' ? randomWalkMetropolis(target, { stepSize: 0.5 }) : mala(target, { stepSize: 0.05 })) as unknown as Kernel<ChainState>;
const rng = createRng(job.seed);
const x0 = rng.normal([job.chains, 2]) as tf.Tensor2D;
let state = kernel.init(x0);
x0.dispose();
let accepted = 0;
const step = (): void => {
  const { state: next, info } = kernel.step(state, rng);
  disposeStateExcept(state, next);
  accepted += tf.sum(info.accepted as tf.Tensor).dataSync()[0];
  tf.dispose(Object.values(info).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  state = next;
};
for (let i = 0; i < 5; i++) step(); // warm-up: kernels compiled, JIT warm
accepted = 0;
port.postMessage({ ready: true });
port.once('message', () => {
  const t0 = performance.now();
  for (let i = 0; i < job.steps; i++) step();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose(Object.values(state).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  port.postMessage({ done: true, seconds, acceptance: accepted / (job.steps * job.chains) });
});
