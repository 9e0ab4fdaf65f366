import type { Results } from '../src/results.js';

/** A deterministic, plausible results object with every artifact filled (no library code involved). */
export function syntheticResults(): Results {
  let s = 12345;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const grid = Array.from({ length: 31 }, (_, i) => -3 + (6 * i) / 30);
  const u = (a: number, b: number): number => a ** 4 - 6 * a * a - 0.5 * a + 0.5 * b * b;
  const names = ['rwm', 'mala', 'flow-imh'];
  const exactX = Array.from({ length: 41 }, (_, i) => -2.5 + (5 * i) / 40);
  return {
    schemaVersion: 1,
    experiment: 'double-well',
    description: 'synthetic',
    config: { experiment: 'double-well', seed: 1, quick: true, params: {} },
    seed: 1,
    quick: true,
    backend: { requested: 'cpu', active: 'cpu', fallback: false, tfjsVersion: '4.22.0' },
    libraryVersion: '0.1.0',
    startedAt: '2024-01-01T00:00:00.000Z',
    wallSeconds: 1.5,
    reference: { deltaF: -1.69, method: 'quadrature', definition: 'ΔF = −ln(P(x₁>0)/P(x₁<0))' },
    samplers: names.map((sampler, k) => ({
      sampler,
      energyEvaluations: 10000,
      wallSeconds: 0.5 + k,
      acceptanceRate: k === 2 ? null : 0.4,
      transitions: 3 + k,
      iact: 100 / (k + 1),
      ess: 100 * (k + 1),
      essPerEnergyEvaluation: 0.01 * (k + 1),
      essPerSecond: 100,
      deltaF: { estimate: -1.6 - 0.05 * k, stderr: 0.1, reference: -1.69 },
      settings: { stepSize: 0.5 },
    })),
    skipped: [{ sampler: 'snf', reason: 'package not available' }],
    training: { steps: 50, energyEvaluations: 6400, wallSeconds: 2, finalLoss: 1.2, essFraction: 0.8, modeFractions: { 'x₁>0': 0.8 } },
    artifacts: {
      energyGrid: { x: grid, y: grid, values: grid.map((b) => grid.map((a) => (u(a, b) < 30 ? u(a, b) : null))) },
      samples: names.map((sampler) => ({
        sampler,
        points: Array.from({ length: 200 }, () => [(rand() < 0.7 ? 1.7 : -1.7) + 0.3 * gauss(), gauss()] as [number, number]),
      })),
      traces: names.map((sampler) => ({
        sampler,
        coordinate: 'x₁',
        evaluationsPerPoint: 10,
        values: Array.from({ length: 300 }, (_, i) => (Math.sin(i / 20) > 0 ? 1.7 : -1.7) + 0.2 * gauss()),
      })),
      autocorrelation: names.map((sampler, k) => ({
        sampler,
        evaluationsPerLag: 10,
        values: Array.from({ length: 50 }, (_, i) => Math.exp(-i / (5 * (k + 1)))),
      })),
      profiles: {
        coordinate: 'x₁',
        exact: { x: exactX, f: exactX.map((x) => x ** 4 - 6 * x * x - 0.5 * x + 10) },
        samplers: names.map((sampler) => ({
          sampler,
          x: exactX,
          f: exactX.map((x, i) => (i % 7 === 0 ? null : x ** 4 - 6 * x * x - 0.5 * x + 10 + 0.3 * gauss())),
        })),
      },
      training: Array.from({ length: 20 }, (_, i) => ({
        step: i * 10,
        phase: 'kl+ml',
        loss: 5 / (i + 1),
        essFraction: i % 4 === 0 ? Math.min(1, i / 20) : null,
      })),
    },
  };
}
