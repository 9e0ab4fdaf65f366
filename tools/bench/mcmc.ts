import { createRng, tf, type Rng, type Kernel, type ChainState } from '@boltzflow/core';
import { DoubleWell, ManyWell } from '@boltzflow/energies';
import { randomWalkMetropolis, mala, nuts, hmc, sampleChain, disposeStateExcept } from '@boltzflow/mcmc';
import { fmt, fmtBytes, fmtRate, table, timePerCall, type BenchOptions, type SectionResult } from './common.js';

// SNF/FAB double well u = c·x₁⁴ + b·x₁² + a·x₁ + ½·d·x₂² (the DoubleWell defaults).
const A = -0.5,
  B = -6,
  C = 1,
  D = 1;
const RWM_STEP = 0.5;
const MALA_TAU = 0.05;
export const CHAIN_COUNTS = [1, 64, 1024, 16384];
/** The throughput target: the library's kernels within this factor of the plain loop at ≥ 1024 chains. */
export const TARGET_RATIO = 3;

function uDW(x1: number, x2: number): number {
  const s = x1 * x1;
  return C * s * s + B * s + A * x1 + 0.5 * D * x2 * x2;
}

/**
 * Plain-JavaScript random-walk Metropolis on Float64Arrays: the same proposal, energy and MH test as the tfjs kernel,
 * drawing its random numbers from the same core Rng calls (normalArray for the proposal, uniformArray for the test),
 * so the RNG cost is identical and the difference is the tensor runtime.
 */
export function plainRwm(x: Float64Array, u: Float64Array, steps: number, rng: Rng): number {
  const n = u.length;
  let accepted = 0;
  for (let s = 0; s < steps; s++) {
    const xi = rng.normalArray(2 * n);
    const un = rng.uniformArray(n);
    for (let i = 0; i < n; i++) {
      const p1 = x[2 * i] + RWM_STEP * xi[2 * i];
      const p2 = x[2 * i + 1] + RWM_STEP * xi[2 * i + 1];
      const up = uDW(p1, p2);
      if (Math.log(un[i]) < u[i] - up) {
        x[2 * i] = p1;
        x[2 * i + 1] = p2;
        u[i] = up;
        accepted++;
      }
    }
  }
  return accepted;
}

/** Plain-JavaScript MALA (blackjax convention, cached gradient), same arithmetic and RNG calls as the tfjs kernel. */
export function plainMala(x: Float64Array, u: Float64Array, g: Float64Array, steps: number, rng: Rng): number {
  const n = u.length;
  const tau = MALA_TAU;
  const sq = Math.sqrt(2 * tau);
  let accepted = 0;
  for (let s = 0; s < steps; s++) {
    const xi = rng.normalArray(2 * n);
    const un = rng.uniformArray(n);
    for (let i = 0; i < n; i++) {
      const x1 = x[2 * i],
        x2 = x[2 * i + 1];
      const p1 = x1 - tau * g[2 * i] + sq * xi[2 * i];
      const p2 = x2 - tau * g[2 * i + 1] + sq * xi[2 * i + 1];
      const up = uDW(p1, p2);
      const g1 = A + 2 * B * p1 + 4 * C * p1 * p1 * p1;
      const g2 = D * p2;
      const fwd = -0.5 * (xi[2 * i] * xi[2 * i] + xi[2 * i + 1] * xi[2 * i + 1]);
      const r1 = x1 - p1 + tau * g1,
        r2 = x2 - p2 + tau * g2;
      const rev = -(r1 * r1 + r2 * r2) / (4 * tau);
      if (Math.log(un[i]) < u[i] - up + rev - fwd) {
        x[2 * i] = p1;
        x[2 * i + 1] = p2;
        u[i] = up;
        g[2 * i] = g1;
        g[2 * i + 1] = g2;
        accepted++;
      }
    }
  }
  return accepted;
}

function startPositions(n: number, rng: Rng): Float64Array {
  const z = rng.normalArray(2 * n);
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = (i % 2 === 0 ? 1.7 : -1.7) + 0.2 * z[2 * i];
    x[2 * i + 1] = z[2 * i + 1];
  }
  return x;
}

/**
 * Wall and process-CPU seconds per call (best of `rounds` rounds of ≥ minSeconds each). The library and the plain loop
 * are single-threaded (tfjs-wasm has no threads in Node), so on an idle machine the two clocks agree; on a shared one
 * wall time also counts other processes' time slices, which is noise that does not cancel between the two sides.
 */
function timeBoth(f: () => void, minSeconds: number, rounds = 3): { wall: number; cpu: number } {
  f(); // warm-up (JIT, first-call allocations)
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t = timePerCall(f, minSeconds / rounds, 2);
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, t.seconds);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6 / t.reps);
  }
  return { wall, cpu };
}

function stepsFor(n: number, quick: boolean): number {
  const s = n <= 64 ? 300 : n <= 1024 ? 200 : 60;
  return quick ? Math.max(10, Math.round(s / 6)) : s;
}

/** Seconds per chain-step (wall, CPU) of the tfjs kernel through sampleChain (one kept draw, so the download is negligible). */
function timeKernel(kernel: Kernel<ChainState>, x0: Float64Array, n: number, steps: number, minSeconds: number): { wall: number; cpu: number } {
  const x = tf.tensor2d(Float32Array.from(x0), [n, 2]);
  const rng = createRng(11);
  // Warm-up: first calls compile/allocate.
  const w = sampleChain(kernel, x, { steps: 5, thin: 5, rng });
  tf.dispose(Object.values(w.finalState).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  const t = timeBoth(() => {
    const r = sampleChain(kernel, x, { steps, thin: steps, rng });
    tf.dispose(Object.values(r.finalState).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  }, minSeconds);
  x.dispose();
  return { wall: t.wall / (steps * n), cpu: t.cpu / (steps * n) };
}

function timePlain(kind: 'rwm' | 'mala', x0: Float64Array, n: number, steps: number, minSeconds: number): { wall: number; cpu: number } {
  const rng = createRng(11);
  const t = timeBoth(() => {
    const x = Float64Array.from(x0);
    const u = new Float64Array(n);
    const g = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      u[i] = uDW(x[2 * i], x[2 * i + 1]);
      g[2 * i] = A + 2 * B * x[2 * i] + 4 * C * x[2 * i] ** 3;
      g[2 * i + 1] = D * x[2 * i + 1];
    }
    if (kind === 'rwm') plainRwm(x, u, steps, rng);
    else plainMala(x, u, g, steps, rng);
  }, minSeconds);
  return { wall: t.wall / (steps * n), cpu: t.cpu / (steps * n) };
}

export interface ThroughputRow {
  sampler: 'rwm' | 'mala';
  chains: number;
  steps: number;
  tfjsStepsPerSecond: number;
  plainStepsPerSecond: number;
  /** plain / tfjs rate in process CPU time: how many times slower the library kernel is than the plain loop. */
  slowdown: number;
  /** The same ratio in wall-clock time (includes other processes' time slices on a shared machine). */
  wallSlowdown: number;
  msPerStep: number;
}

export function mcmcThroughput(opts: BenchOptions): { rows: ThroughputRow[]; profile: Record<string, number> } {
  const target = new DoubleWell();
  const rows: ThroughputRow[] = [];
  const minSeconds = opts.quick ? 0.15 : 0.6;
  for (const sampler of ['rwm', 'mala'] as const) {
    const kernel = (sampler === 'rwm'
      ? randomWalkMetropolis(target, { stepSize: RWM_STEP })
      : mala(target, { stepSize: MALA_TAU })) as unknown as Kernel<ChainState>;
    for (const n of CHAIN_COUNTS) {
      const steps = stepsFor(n, opts.quick);
      const x0 = startPositions(n, createRng(3));
      const tk = timeKernel(kernel, x0, n, steps, minSeconds);
      const tp = timePlain(sampler, x0, n, steps, minSeconds);
      rows.push({
        sampler,
        chains: n,
        steps,
        tfjsStepsPerSecond: 1 / tk.cpu,
        plainStepsPerSecond: 1 / tp.cpu,
        slowdown: tk.cpu / tp.cpu,
        wallSlowdown: tk.wall / tp.wall,
        msPerStep: tk.cpu * n * 1000,
      });
    }
  }
  return { rows, profile: profileStep(opts) };
}

/**
 * Where the time of one RWM step at 16384 chains goes: JS random draws alone, draws uploaded as tensors, one energy
 * evaluation, one kernel step, one kernel step inside sampleChain, and the plain loop (per step, milliseconds).
 */
function profileStep(opts: BenchOptions): Record<string, number> {
  const n = 16384;
  const target = new DoubleWell();
  const kernel = randomWalkMetropolis(target, { stepSize: RWM_STEP });
  const rng = createRng(5);
  const minSeconds = opts.quick ? 0.1 : 0.4;
  const x = tf.tensor2d(Float32Array.from(startPositions(n, rng)), [n, 2]);
  const ms = (f: () => void) => timePerCall(f, minSeconds, 3).seconds * 1000;
  const out: Record<string, number> = {};
  out['JS random draws (normalArray 2n + uniformArray n)'] = ms(() => {
    rng.normalArray(2 * n);
    rng.uniformArray(n);
  });
  out['draws + upload (rng.normal + rng.uniform tensors)'] = ms(() => {
    tf.dispose([rng.normal([n, 2]), rng.uniform([n])]);
  });
  out['energy u(x) on [n, 2]'] = ms(() => target.energy(x).dispose());
  out['energy + dataSync (one host round trip)'] = ms(() => {
    const e = target.energy(x);
    e.dataSync();
    e.dispose();
  });
  let state = kernel.init(x);
  out['kernel.step (RWM)'] = ms(() => {
    const { state: next, info } = kernel.step(state, rng);
    disposeStateExcept(state, next);
    tf.dispose([info.accepted, info.logAcceptRatio]);
    state = next;
  });
  tf.dispose([state.x, state.energy]);
  const x0 = startPositions(n, createRng(3));
  const xs = Float64Array.from(x0);
  const u = new Float64Array(n).map((_, i) => uDW(xs[2 * i], xs[2 * i + 1]));
  out['plain loop step (includes JS random draws)'] = ms(() => plainRwm(xs, u, 1, rng));
  x.dispose();
  return out;
}

/** Time per RWM step vs dimension (ManyWell, 1024 chains) — where the per-step overhead stops dominating. */
export function mcmcDimScaling(opts: BenchOptions): { dim: number; msPerStep: number; usPerChainStepPerDim: number }[] {
  const out: { dim: number; msPerStep: number; usPerChainStepPerDim: number }[] = [];
  const n = 1024;
  for (const dim of [2, 8, 32, 128]) {
    const target = new ManyWell({ dim });
    const kernel = randomWalkMetropolis(target, { stepSize: 0.3 });
    const rng = createRng(7);
    const x = tf.tidy(() => tf.mul(rng.normal([n, dim]), 0.5).add(tf.tile(tf.tensor2d([[1.7, 0]]), [n, dim / 2])) as tf.Tensor2D);
    const steps = opts.quick ? 20 : 100;
    const t = timePerCall(
      () => {
        const r = sampleChain(kernel, x, { steps, thin: steps, rng });
        tf.dispose([r.finalState.x, r.finalState.energy]);
      },
      opts.quick ? 0.1 : 0.4,
    );
    x.dispose();
    const perStep = t.seconds / steps;
    out.push({ dim, msPerStep: perStep * 1000, usPerChainStepPerDim: (perStep / (n * dim)) * 1e6 });
  }
  return out;
}

/** Peak tensor bytes (tf.profile) and peak RSS of a 16384-chain RWM run on the double well. */
export async function mcmcMemory(opts: BenchOptions): Promise<{
  chains: number;
  steps: number;
  thin: number;
  peakTensorBytes: number;
  startRss: number;
  peakRss: number;
  keptBytes: number;
  leakedTensors: number;
}> {
  const n = 16384;
  const steps = opts.quick ? 50 : 500;
  const thin = 10;
  const target = new DoubleWell();
  const kernel = randomWalkMetropolis(target, { stepSize: RWM_STEP });
  const rng = createRng(9);
  const x = tf.tensor2d(Float32Array.from(startPositions(n, rng)), [n, 2]);
  const before = tf.memory().numTensors;
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  let keptBytes = 0;
  const info = await tf.profile(() => {
    const r = sampleChain(kernel, x, { steps, thin, rng, progressEvery: 5, onProgress: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)) });
    keptBytes = r.samples.data.byteLength;
    tf.dispose([r.finalState.x, r.finalState.energy]);
    return [];
  });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const leakedTensors = tf.memory().numTensors - before;
  x.dispose();
  return { chains: n, steps, thin, peakTensorBytes: info.peakBytes, startRss, peakRss, keptBytes, leakedTensors };
}

/**
 * Gradient evaluations per second at 1024 chains: NUTS (maxTreeDepth 5, ε 0.1) and HMC (L = 10, ε 0.1) through
 * sampleChain, against the plain-JS MALA loop (one gradient per chain-step), all in process CPU time.
 */
export function gradientThroughput(
  opts: BenchOptions,
): { sampler: string; chains: number; gradsPerSecond: number; plainGradsPerSecond: number; slowdown: number; gradsPerStep: number }[] {
  const target = new DoubleWell();
  const n = 1024;
  const minSeconds = opts.quick ? 0.15 : 0.6;
  const x0 = startPositions(n, createRng(3));
  const plain = timePlain('mala', x0, n, stepsFor(n, opts.quick), minSeconds);
  const out: ReturnType<typeof gradientThroughput> = [];
  const kernels: [string, Kernel<ChainState>][] = [
    ['NUTS (depth ≤ 5, ε 0.1)', nuts(target, { stepSize: 0.1, maxTreeDepth: 5 }) as unknown as Kernel<ChainState>],
    ['HMC (L 10, ε 0.1)', hmc(target, { stepSize: 0.1, numLeapfrogSteps: 10 }) as unknown as Kernel<ChainState>],
  ];
  for (const [name, kernel] of kernels) {
    const steps = opts.quick ? 3 : 10;
    const x = tf.tensor2d(Float32Array.from(x0), [n, 2]);
    let grads = 0;
    const t = timeBoth(() => {
      const r = sampleChain(kernel, x, { steps, thin: steps, rng: createRng(11) });
      grads = r.energyEvaluations - n;
      disposeStateExcept(r.finalState, undefined);
    }, minSeconds);
    x.dispose();
    const rate = grads / t.cpu;
    out.push({
      sampler: name,
      chains: n,
      gradsPerSecond: rate,
      plainGradsPerSecond: 1 / plain.cpu,
      slowdown: 1 / plain.cpu / rate,
      gradsPerStep: grads / (steps * n),
    });
  }
  return out;
}

export async function mcmcSection(opts: BenchOptions): Promise<SectionResult> {
  const { rows, profile } = mcmcThroughput(opts);
  const gradRows = gradientThroughput(opts);
  const big = rows.filter((r) => r.chains >= 1024);
  const worst = Math.max(...big.map((r) => r.slowdown));
  const met = worst <= TARGET_RATIO;
  const md: string[] = [];
  md.push(
    "Chain-steps per second on the 2D double well (u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²), `sampleChain` with one kept draw, against a plain-JavaScript Float64Array loop doing the same arithmetic with the same core `Rng` calls (`normalArray`, `uniformArray`). **slowdown** = plain rate / library rate, measured back to back in this run, in process CPU time (best of 3 rounds, after a warm-up call; both sides single-threaded); the wall-clock ratio is shown beside it — on a shared machine it also counts other processes' time slices.",
  );
  md.push('');
  md.push(
    table(
      ['sampler', 'chains', 'steps', 'library steps/s (CPU)', 'plain JS steps/s (CPU)', 'slowdown (×, CPU)', 'slowdown (×, wall)', 'CPU ms per step'],
      rows.map((r) => [
        r.sampler.toUpperCase(),
        r.chains,
        r.steps,
        fmtRate(r.tfjsStepsPerSecond),
        fmtRate(r.plainStepsPerSecond),
        fmt(r.slowdown),
        fmt(r.wallSlowdown),
        fmt(r.msPerStep),
      ]),
    ),
  );
  md.push('');
  md.push(
    `**Target (≥ 1024 chains within ${TARGET_RATIO}× of the plain loop): ${met ? 'met' : 'missed'}** — worst CPU-time slowdown at ≥ 1024 chains ${fmt(worst)}× (wall clock: ${fmt(Math.max(...big.map((r) => r.wallSlowdown)))}×; ${big.map((r) => `${r.sampler.toUpperCase()}@${r.chains}: ${fmt(r.slowdown)}×`).join(', ')}).`,
  );
  md.push('');
  md.push(
    'Gradient evaluations per second at 1024 chains (double well; process CPU time): NUTS and HMC through `sampleChain` against the plain-JS MALA loop (one gradient per chain-step). NUTS syncs once per leapfrog step to mask finished chains.',
  );
  md.push('');
  md.push(
    table(
      ['sampler', 'chains', 'gradients per chain-step', 'library grads/s (CPU)', 'plain JS MALA grads/s (CPU)', 'slowdown (×)'],
      gradRows.map((r) => [r.sampler, r.chains, fmt(r.gradsPerStep), fmtRate(r.gradsPerSecond), fmtRate(r.plainGradsPerSecond), fmt(r.slowdown)]),
    ),
  );
  md.push('');
  md.push('Where one RWM step at 16384 chains goes (ms per step, same run):');
  md.push('');
  md.push(
    table(
      ['part', 'ms'],
      Object.entries(profile).map(([k, v]) => [k, fmt(v)]),
    ),
  );
  const rngShare = profile['JS random draws (normalArray 2n + uniformArray n)'] / profile['kernel.step (RWM)'];
  md.push('');
  md.push(
    `The JS random draws alone are ${fmt(100 * rngShare, 2)}% of a library step and are shared by both implementations (the seeded Mersenne Twister runs in JavaScript by design, so a seed gives the same numbers on every backend).`,
  );
  const dims = mcmcDimScaling(opts);
  md.push('');
  md.push('### How cost grows');
  md.push('');
  md.push(
    'Time per step vs number of chains (RWM and MALA, double well; from the table above) — per-step overhead dominates while ms/step stays flat as chains grow:',
  );
  md.push('');
  const byN = CHAIN_COUNTS.map((n) => {
    const r = rows.find((x) => x.sampler === 'rwm' && x.chains === n)!;
    const m = rows.find((x) => x.sampler === 'mala' && x.chains === n)!;
    return [n, fmt(r.msPerStep), fmt((r.msPerStep * 1000) / n), fmt(m.msPerStep), fmt((m.msPerStep * 1000) / n)];
  });
  md.push(table(['chains', 'RWM CPU ms/step', 'RWM µs/chain-step', 'MALA CPU ms/step', 'MALA µs/chain-step'], byN));
  md.push('');
  md.push('Time per RWM step vs dimension (ManyWell, 1024 chains):');
  md.push('');
  md.push(
    table(
      ['dim', 'ms/step', 'µs per chain-step per dim'],
      dims.map((d) => [d.dim, fmt(d.msPerStep), fmt(d.usPerChainStepPerDim)]),
    ),
  );
  const mem = await mcmcMemory(opts);
  md.push('');
  md.push('### Peak memory');
  md.push('');
  md.push(
    `RWM, ${mem.chains} chains, ${mem.steps} steps, thin ${mem.thin} (kept draws ${fmtBytes(mem.keptBytes)} in host memory): peak tensor memory (tf.profile peakBytes) **${fmtBytes(mem.peakTensorBytes)}**, process RSS ${fmtBytes(mem.startRss)} → peak ${fmtBytes(mem.peakRss)} (Δ ${fmtBytes(mem.peakRss - mem.startRss)}); tensors left after disposing the result: ${mem.leakedTensors}. One [16384, 2] float32 tensor is ${fmtBytes(16384 * 2 * 4)}.`,
  );
  return { title: 'MCMC throughput', markdown: md.join('\n'), data: { rows, gradRows, profile, dims, mem, targetMet: met, worstSlowdown: worst } };
}
