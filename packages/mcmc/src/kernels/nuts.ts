import * as tf from '@tensorflow/tfjs';
import {
  assertInteger,
  assertPositive,
  runHostReadsSync,
  type Energy,
  type HostReads,
  type HostValues,
  type Kernel,
  type Rng,
  type StepInfo,
} from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { checkStepSize } from '../proposal.js';
import { initWithGrad, type GradientState } from './gradientState.js';
import { massOps, type MassMatrix } from './massMatrix.js';
import { disposeStateExcept } from './sampleChain.js';

/** Options of {@link nuts}. */
export interface NutsOptions {
  /** Leapfrog step ε. */
  stepSize: number;
  /** Mass matrix M: diagonal `number[]` or dense `number[][]` (default identity); see {@link MassMatrix}. */
  massMatrix?: MassMatrix;
  /** Maximum tree depth (default 10): at most 2^depth − 1 leapfrog steps per transition. */
  maxTreeDepth?: number;
  /** Energy error H − H₀ above which a trajectory counts as divergent (default 1000, as Stan). */
  divergenceThreshold?: number;
}

/** NUTS state: positions, energies and the cached gradient (as MALA/HMC). */
export type NutsState = GradientState;

/** Step info of {@link nuts}: the StepInfo fields plus per-chain tree statistics (host arrays). */
export interface NutsInfo extends StepInfo {
  /** Depth of each chain's tree (number of doublings). */
  treeDepth: number[];
  /** 1 where the chain's trajectory diverged this step. */
  divergent: number[];
  /** Leapfrog steps (= gradient evaluations) per chain. */
  numLeapfrog: number[];
  /**
   * Σ numLeapfrog: the gradients the algorithm needs (Stan's count). `energyEvaluations` is what the batched
   * implementation spends: every chain is evaluated at every leaf while others still grow their trees.
   */
  gradientEvaluations: number;
}

export interface NutsKernel extends Kernel<NutsState> {
  readonly kind: 'nuts';
  readonly stepSize: number;
  readonly maxTreeDepth: number;
  readonly massMatrix: number[] | number[][];
  step(state: NutsState, rng: Rng): { state: NutsState; info: NutsInfo };
  /** {@link step} pausing at its host reads (the live and divergence masks per leaf, the stop mask per doubling). */
  stepReads(state: NutsState, rng: Rng): HostReads<{ state: NutsState; info: NutsInfo }>;
}

function popcount(v: number): number {
  let c = 0;
  for (; v; v >>= 1) c += v & 1;
  return c;
}

function trailingOnes(v: number): number {
  let c = 0;
  for (; v & 1; v >>= 1) c++;
  return c;
}

/** log(eᵃ + eᵇ) elementwise, −∞ when both are −∞ (no NaN). */
function logAddExp(a: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor1D {
  const m = tf.maximum(a, b);
  const safe = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
  const s = tf.add(safe, tf.log(tf.add(tf.exp(tf.sub(a, safe)), tf.exp(tf.sub(b, safe)))));
  return tf.where(tf.equal(m, -Infinity), m, s) as tf.Tensor1D;
}

function rows(mask: tf.Tensor, d: number): tf.Tensor2D {
  return tf.tile(tf.reshape(mask, [-1, 1]), [1, d]) as tf.Tensor2D;
}

/**
 * The No-U-Turn sampler (Hoffman & Gelman 2014) in its current Stan/blackjax form: trajectories doubled in a random
 * direction until the generalised U-turn criterion (Betancourt 2017; ρ − (p₋ + p₊)/2 against M⁻¹p at both ends,
 * checked on the whole tree and, iteratively, on every sub-tree as numpyro does) or the maximum depth stops them; the
 * next state is drawn by multinomial sampling — uniform progressive within a new sub-tree, biased progressive
 * (min(1, W_new/W_old)) when a sub-tree is merged. Vectorised over chains: each chain has its own direction and tree,
 * chains that have stopped are masked (the batch still computes their leapfrog; they are not counted). One host
 * read per leapfrog step (the live and divergence masks, in one download), which also gives the exact per-chain gradient
 * count, and one per doubling (the stop mask). `step` reads synchronously; `stepReads` pauses at each read, so that
 * `sampleChainAsync` and `windowAdaptationAsync` drive NUTS with `await data()` (WebGPU in Node).
 */
export function nuts(target: Energy, options: NutsOptions): NutsKernel {
  const [eps] = checkStepSize(options?.stepSize, 'stepSize');
  const maxDepth = options.maxTreeDepth ?? 10;
  assertInteger(maxDepth, 'maxTreeDepth', 1, 30);
  const divLimit = options.divergenceThreshold ?? 1000;
  assertPositive(divLimit, 'divergenceThreshold');
  const dim = target.dim;
  const mass = massOps(options.massMatrix, dim);

  const turning = (pL: tf.Tensor2D, pR: tf.Tensor2D, rho: tf.Tensor2D): tf.Tensor1D => {
    const r = tf.sub(rho, tf.mul(tf.add(pL, pR), 0.5));
    const vl = tf.sum(tf.mul(mass.velocity(pL), r), 1);
    const vr = tf.sum(tf.mul(mass.velocity(pR), r), 1);
    return tf.logicalOr(tf.lessEqual(vl, 0), tf.lessEqual(vr, 0)) as tf.Tensor1D;
  };

  const kernel: NutsKernel = {
    kind: 'nuts',
    target,
    stepSize: eps,
    maxTreeDepth: maxDepth,
    massMatrix: mass.matrix,
    init: (x0) => initWithGrad(target, x0),
    step(state: NutsState, rng: Rng): { state: NutsState; info: NutsInfo } {
      return runHostReadsSync(kernel.stepReads(state, rng));
    },
    *stepReads(state: NutsState, rng: Rng): HostReads<{ state: NutsState; info: NutsInfo }> {
      const n = state.x.shape[0];
      const active = new Array<boolean>(n).fill(true);
      const depth = new Array<number>(n).fill(0);
      const divergent = new Array<number>(n).fill(0);
      const numLeapfrog = new Array<number>(n).fill(0);
      // Rows actually evaluated: the batched tree evaluates every chain at every leaf, finished ones masked.
      let rowsEvaluated = 0;

      let tree = tf.tidy(() => {
        const p0 = mass.sample(rng, n);
        const h0 = tf.add(state.energy, mass.kinetic(p0)) as tf.Tensor1D;
        return {
          h0,
          xL: state.x.clone(),
          pL: p0,
          gL: state.grad.clone(),
          xR: state.x.clone(),
          pR: p0.clone(),
          gR: state.grad.clone(),
          logW: tf.zeros([n]) as tf.Tensor1D,
          xS: state.x.clone(),
          uS: state.energy.clone(),
          gS: state.grad.clone(),
          rsum: p0.clone(),
          acc: tf.zeros([n]) as tf.Tensor1D,
          moved: tf.zeros([n]) as tf.Tensor1D,
        };
      });

      try {
        for (let j = 0; j < maxDepth && active.some(Boolean); j++) {
          const dirs = Array.from(rng.uniformArray(n), (v) => (v < 0.5 ? -1 : 1));
          const startActive = [...active];
          const leaves = 2 ** j;
          const slots = Math.max(j, 1);
          let sub = tf.tidy(() => {
            const fwd = rows(
              tf.tensor1d(
                dirs.map((v) => (v > 0 ? 1 : 0)),
                'bool',
              ),
              dim,
            );
            const zero = tf.zeros([n, dim]) as tf.Tensor2D;
            return {
              x: tf.where(fwd, tree.xR, tree.xL) as tf.Tensor2D,
              p: tf.where(fwd, tree.pR, tree.pL) as tf.Tensor2D,
              g: tf.where(fwd, tree.gR, tree.gL) as tf.Tensor2D,
              logW: tf.fill([n], -Infinity) as tf.Tensor1D,
              xS: tf.where(fwd, tree.xR, tree.xL) as tf.Tensor2D,
              uS: tree.uS.clone(),
              gS: tf.where(fwd, tree.gR, tree.gL) as tf.Tensor2D,
              rsum: zero,
              ckP: Array.from({ length: slots }, () => zero.clone()),
              ckS: Array.from({ length: slots }, () => zero.clone()),
              live: tf.tensor1d(
                startActive.map((a) => (a ? 1 : 0)),
                'bool',
              ),
              bad: tf.zeros([n], 'bool') as tf.Tensor1D,
              acc: tree.acc.clone(),
            };
          });
          // The live mask on the host (read back after every leaf): it counts each chain's leapfrog steps.
          const liveHost = [...startActive];
          const stepCol = tf.tensor2d(
            dirs.map((v) => v * eps),
            [n, 1],
          );
          try {
            for (let t = 0; t < leaves; t++) {
              rowsEvaluated += n;
              const uLeaf = rng.uniformArray(n);
              const next = tf.tidy(() => {
                const half = tf.mul(stepCol, 0.5);
                const pHalf = tf.sub(sub.p, tf.mul(sub.g, half)) as tf.Tensor2D;
                const x1 = tf.add(sub.x, tf.mul(mass.velocity(pHalf), stepCol)) as tf.Tensor2D;
                const eg = energyAndGrad(target, x1);
                const p1 = tf.sub(pHalf, tf.mul(eg.grad, half)) as tf.Tensor2D;
                const h1raw = tf.add(eg.energy, mass.kinetic(p1));
                const h1 = tf.where(tf.isNaN(h1raw), tf.fill([n], Infinity), h1raw) as tf.Tensor1D;
                const logw = tf.sub(tree.h0, h1) as tf.Tensor1D; // −∞ for a non-finite energy
                const div = tf.logicalOr(tf.greater(tf.neg(logw), divLimit), tf.logicalNot(tf.isFinite(logw))) as tf.Tensor1D;
                const live = sub.live;
                const liveR = rows(live, dim);
                const acc = tf.add(sub.acc, tf.where(live, tf.exp(tf.minimum(logw, 0)), tf.zeros([n]))) as tf.Tensor1D;
                const newLogW = logAddExp(sub.logW, logw);
                const take = tf.logicalAnd(live, tf.less(tf.log(tf.tensor1d(uLeaf)), tf.sub(logw, newLogW)));
                const takeR = rows(take, dim);
                const rsum = tf.where(liveR, tf.add(sub.rsum, p1), sub.rsum) as tf.Tensor2D;
                let ckP = sub.ckP;
                let ckS = sub.ckS;
                let turn = tf.zeros([n], 'bool') as tf.Tensor1D;
                if (t % 2 === 0) {
                  const idx = popcount(t >> 1);
                  if (idx < slots) {
                    ckP = ckP.map((c, i) => (i === idx ? p1 : c));
                    ckS = ckS.map((c, i) => (i === idx ? rsum : c));
                  }
                } else {
                  const idxMax = popcount(t >> 1);
                  const idxMin = idxMax - trailingOnes(t) + 1;
                  for (let i = idxMin; i <= idxMax; i++) {
                    const rho = tf.add(tf.sub(rsum, ckS[i]), ckP[i]) as tf.Tensor2D;
                    turn = tf.logicalOr(turn, turning(ckP[i], p1, rho)) as tf.Tensor1D;
                  }
                }
                const newBad = tf.logicalAnd(live, tf.logicalOr(div, turn)) as tf.Tensor1D;
                return {
                  x: tf.where(liveR, x1, sub.x) as tf.Tensor2D,
                  p: tf.where(liveR, p1, sub.p) as tf.Tensor2D,
                  g: tf.where(liveR, eg.grad, sub.g) as tf.Tensor2D,
                  logW: tf.where(live, newLogW, sub.logW) as tf.Tensor1D,
                  xS: tf.where(takeR, x1, sub.xS) as tf.Tensor2D,
                  uS: tf.where(take, eg.energy, sub.uS) as tf.Tensor1D,
                  gS: tf.where(takeR, eg.grad, sub.gS) as tf.Tensor2D,
                  rsum,
                  ckP,
                  ckS,
                  live: tf.logicalAnd(live, tf.logicalNot(newBad)) as tf.Tensor1D,
                  bad: tf.logicalOr(sub.bad, newBad) as tf.Tensor1D,
                  acc,
                  div: tf.logicalAnd(live, div) as tf.Tensor1D,
                };
              });
              // One download per leaf: the divergence mask and the new live mask.
              const masks = tf.tidy(() => tf.stack([tf.cast(next.div, 'float32'), tf.cast(next.live, 'float32')]));
              next.div.dispose();
              const { div: _d, ...rest } = next;
              void _d;
              let m: HostValues;
              try {
                m = yield masks;
              } catch (e) {
                disposeStateExcept(rest, sub);
                throw e;
              } finally {
                masks.dispose();
              }
              for (let c = 0; c < n; c++) {
                if (liveHost[c]) numLeapfrog[c]++;
                if (m[c]) divergent[c] = 1;
                liveHost[c] = m[n + c] !== 0;
              }
              disposeStateExcept(sub, rest);
              sub = rest;
              if (t % 2 === 1 || t === leaves - 1) {
                if (!liveHost.some(Boolean)) break;
              }
            }
            // Merge the valid sub-trees (not turning inside, not divergent) and test the whole tree.
            const mergeU = rng.uniformArray(n);
            const merged = tf.tidy(() => {
              const valid = tf.logicalAnd(
                tf.tensor1d(
                  startActive.map((a) => (a ? 1 : 0)),
                  'bool',
                ),
                tf.logicalNot(sub.bad),
              ) as tf.Tensor1D;
              const validR = rows(valid, dim);
              const fwd = tf.tensor1d(
                dirs.map((v) => (v > 0 ? 1 : 0)),
                'bool',
              );
              const fwdR = rows(tf.logicalAnd(fwd, valid), dim);
              const bwdR = rows(tf.logicalAnd(tf.logicalNot(fwd), valid), dim);
              const take = tf.logicalAnd(valid, tf.less(tf.log(tf.tensor1d(mergeU)), tf.sub(sub.logW, tree.logW)));
              const takeR = rows(take, dim);
              const rsum = tf.where(validR, tf.add(tree.rsum, sub.rsum), tree.rsum) as tf.Tensor2D;
              const out = {
                h0: tree.h0,
                xL: tf.where(bwdR, sub.x, tree.xL) as tf.Tensor2D,
                pL: tf.where(bwdR, sub.p, tree.pL) as tf.Tensor2D,
                gL: tf.where(bwdR, sub.g, tree.gL) as tf.Tensor2D,
                xR: tf.where(fwdR, sub.x, tree.xR) as tf.Tensor2D,
                pR: tf.where(fwdR, sub.p, tree.pR) as tf.Tensor2D,
                gR: tf.where(fwdR, sub.g, tree.gR) as tf.Tensor2D,
                logW: tf.where(valid, logAddExp(tree.logW, sub.logW), tree.logW) as tf.Tensor1D,
                xS: tf.where(takeR, sub.xS, tree.xS) as tf.Tensor2D,
                uS: tf.where(take, sub.uS, tree.uS) as tf.Tensor1D,
                gS: tf.where(takeR, sub.gS, tree.gS) as tf.Tensor2D,
                rsum,
                acc: sub.acc.clone(),
                moved: tf.logicalOr(tf.cast(tree.moved, 'bool'), take).toFloat() as tf.Tensor1D,
              };
              const stop = tf.logicalOr(tf.logicalNot(valid), turning(out.pL, out.pR, rsum));
              return { out, stop: stop as tf.Tensor1D };
            });
            let stop: HostValues;
            try {
              stop = yield merged.stop;
            } catch (e) {
              disposeStateExcept(merged.out, tree);
              throw e;
            } finally {
              merged.stop.dispose();
            }
            disposeStateExcept(tree, merged.out);
            tree = merged.out;
            for (let c = 0; c < n; c++) {
              if (!startActive[c]) continue;
              depth[c] = j + 1;
              if (stop[c]) active[c] = false;
            }
          } finally {
            stepCol.dispose();
            disposeStateExcept(sub, tree);
          }
        }
      } catch (e) {
        // The incoming state is the caller's; the tree holds only copies.
        disposeStateExcept(tree, undefined);
        throw e;
      }
      const result = tf.tidy(() => {
        const count = tf.tensor1d(numLeapfrog.map((v) => Math.max(v, 1)));
        return { logAcceptRatio: tf.log(tf.div(tree.acc, count)) as tf.Tensor1D };
      });
      const out: NutsState = { x: tree.xS, energy: tree.uS, grad: tree.gS };
      const accepted = tree.moved;
      disposeStateExcept(tree, { ...out, accepted });
      const total = numLeapfrog.reduce((a, b) => a + b, 0);
      return {
        state: out,
        info: {
          accepted,
          logAcceptRatio: result.logAcceptRatio,
          energyEvaluations: rowsEvaluated,
          treeDepth: depth,
          divergent,
          numLeapfrog,
          gradientEvaluations: total,
        },
      };
    },
  };
  return kernel;
}
