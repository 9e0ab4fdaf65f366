#!/usr/bin/python3
"""Reference φ/ψ ensemble of alanine dipeptide (vacuum, Amber ff99SB-ILDN, 300 K) by replica exchange molecular dynamics.

Usage: /usr/bin/python3 tools/molecules/alanine_reference.py [wall_seconds=420] [out=apps/experiments/data/alanine-dipeptide-reference.json.gz]
       [conformations_out] [steps_per_replica]

With `steps_per_replica` the run stops after that many MD steps per replica instead of after `wall_seconds` (the
Reference platform and the seeded swaps are deterministic, so the bundled reference's 5 353 000 steps reproduce it).
With `conformations_out` it also writes every `CONF_EVERY`-th 300 K record's full conformation (22 atoms, nm, rounded
to 1e-4 nm, as integers) to that gzip JSON: the training data of the experiment's maximum-likelihood (oracle) flow.

The system is the one `alanineDipeptide()` ships (its PDB is read from packages/energies/src/molecules/alanineDipeptideData.ts,
force field Debian OpenMM 7.7's amber99sbildn.xml), NoCutoff, no constraints, Reference platform, so the sampled
distribution is exactly exp(−u) of the TypeScript energy. Replicas: Langevin (BAOAB-like LangevinMiddleIntegrator, 1 fs,
γ = 1/ps) at a geometric temperature ladder; neighbour swaps (Metropolis on β and E) every `SWAP` steps, alternating
even/odd pairs. The 300 K replica's (φ, ψ) is recorded every `RECORD` steps after `BURN` ps of burn-in. The output holds
a 36×36 (10°) histogram, a thinned sample of (φ, ψ) pairs (0.001 rad resolution), the basin populations (φ < 0 vs φ > 0)
with the split-R̂ of the basin indicator, the transitions in φ per replica slot, the settings and the cost (wall time,
MD steps, energy/force evaluations).
"""
import ast
import gzip
import json
import math
import os
import re
import sys
import time

import numpy as np
import openmm
from openmm import app, unit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
WALL = float(sys.argv[1]) if len(sys.argv) > 1 else 420.0
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, 'apps', 'experiments', 'data', 'alanine-dipeptide-reference.json.gz')
CONF_OUT = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != '-' else None
STEPS = int(sys.argv[4]) if len(sys.argv) > 4 else None
CONF_EVERY = 40
TEMPS = [300.0, 380.0, 480.0, 610.0, 770.0, 980.0]
DT_FS = 1.0
GAMMA = 1.0
SWAP = 250
RECORD = 50
BURN_PS = 20.0
BINS = 36
SEED = 20261203
PHI = (4, 6, 8, 14)
PSI = (6, 8, 14, 16)
R = 8.314462618e-3


def pdb_text():
    src = open(os.path.join(ROOT, 'packages', 'energies', 'src', 'molecules', 'alanineDipeptideData.ts')).read()
    m = re.search(r"export const ALANINE_DIPEPTIDE_PDB =\s*('(?:[^'\\]|\\.)*')", src)
    return ast.literal_eval(m.group(1))


def dihedral(x, idx):
    p0, p1, p2, p3 = (x[i] for i in idx)
    b1, b2, b3 = p1 - p0, p2 - p1, p3 - p2
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    return math.atan2(np.linalg.norm(b2) * np.dot(b1, n2), np.dot(n1, n2))


def split_rhat(chains):
    """Split-R̂ (Gelman et al. 2013) of equal-length chains (list of 1-D arrays)."""
    halves = []
    for c in chains:
        h = len(c) // 2
        halves += [c[:h], c[h:2 * h]]
    x = np.array(halves, dtype=float)
    m, n = x.shape
    means = x.mean(axis=1)
    w = x.var(axis=1, ddof=1).mean()
    b = n * means.var(ddof=1)
    if w == 0:
        return float('nan')
    return float(math.sqrt(((n - 1) / n * w + b / n) / w))


def main():
    import io
    rng = np.random.default_rng(SEED)
    pdb = app.PDBFile(io.StringIO(pdb_text()))
    ff = app.ForceField('amber99sbildn.xml')
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None, rigidWater=False, removeCMMotion=True)
    platform = openmm.Platform.getPlatformByName('Reference')
    ctxs = []
    for k, T in enumerate(TEMPS):
        integ = openmm.LangevinMiddleIntegrator(T * unit.kelvin, GAMMA / unit.picosecond, DT_FS * unit.femtosecond)
        integ.setRandomNumberSeed(SEED + k)
        ctx = openmm.Context(system, integ, platform)
        ctx.setPositions(pdb.positions)
        ctx.setVelocitiesToTemperature(T * unit.kelvin, SEED + 100 + k)
        ctxs.append((ctx, integ))
    betas = [1.0 / (R * T) for T in TEMPS]
    n = len(TEMPS)
    slot_of_temp = list(range(n))  # which context (walker) sits at temperature k
    burn_steps = int(BURN_PS * 1000 / DT_FS)
    t0 = time.time()
    steps = 0
    swaps_tried = [0] * (n - 1)
    swaps_acc = [0] * (n - 1)
    phis, psis = [], []
    temp_phi_sign = [[] for _ in range(n)]  # φ sign history per temperature
    walker_phi_sign = [[] for _ in range(n)]  # per walker (replica) for transitions
    rounds = 0
    confs = []

    def running():
        if STEPS is not None:
            return steps < STEPS
        return time.time() - t0 < WALL or steps < burn_steps + SWAP

    while running():
        for k in range(n):
            pass
        for rec in range(SWAP // RECORD):
            for w in range(n):
                ctxs[w][1].step(RECORD)
            steps += RECORD
            if steps > burn_steps:
                for k in range(n):
                    w = slot_of_temp[k]
                    x = ctxs[w][0].getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
                    ph = dihedral(np.asarray(x), PHI)
                    temp_phi_sign[k].append(1 if ph > 0 else 0)
                    if k == 0:
                        phis.append(ph)
                        psis.append(dihedral(np.asarray(x), PSI))
                        if CONF_OUT and (len(phis) - 1) % CONF_EVERY == 0:
                            confs.append(np.round(np.asarray(x).reshape(-1) * 1e4).astype(int).tolist())
                for w in range(n):
                    x = ctxs[w][0].getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
                    walker_phi_sign[w].append(1 if dihedral(np.asarray(x), PHI) > 0 else 0)
        energies = [ctxs[slot_of_temp[k]][0].getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole) for k in range(n)]
        for k in range(rounds % 2, n - 1, 2):
            swaps_tried[k] += 1
            delta = (betas[k] - betas[k + 1]) * (energies[k] - energies[k + 1])
            if delta >= 0 or rng.random() < math.exp(delta):
                swaps_acc[k] += 1
                wa, wb = slot_of_temp[k], slot_of_temp[k + 1]
                slot_of_temp[k], slot_of_temp[k + 1] = wb, wa
                # velocities rescaled to the new temperature
                for w, T_new, T_old in ((wa, TEMPS[k + 1], TEMPS[k]), (wb, TEMPS[k], TEMPS[k + 1])):
                    v = ctxs[w][0].getState(getVelocities=True).getVelocities(asNumpy=True)
                    ctxs[w][0].setVelocities(v * math.sqrt(T_new / T_old))
                    ctxs[w][1].setTemperature(T_new * unit.kelvin)
                energies[k], energies[k + 1] = energies[k + 1], energies[k]
        rounds += 1
    wall = time.time() - t0
    phis = np.array(phis)
    psis = np.array(psis)
    hist, _, _ = np.histogram2d(phis, psis, bins=BINS, range=[[-math.pi, math.pi], [-math.pi, math.pi]])
    ind = np.array(temp_phi_sign[0], dtype=float)
    chunks = np.array_split(ind, 4)
    L = min(len(c) for c in chunks)
    rhat = split_rhat([c[:L] for c in chunks])
    p_pos = float(ind.mean())
    # Block standard error of the φ>0 population (20 blocks).
    blocks = np.array([b.mean() for b in np.array_split(ind, 20)])
    p_err = float(blocks.std(ddof=1) / math.sqrt(len(blocks)))
    dF = float(-math.log(p_pos / (1 - p_pos))) if 0 < p_pos < 1 else float('nan')
    dF_err = float(p_err / (p_pos * (1 - p_pos))) if 0 < p_pos < 1 else float('nan')
    transitions_walker = [int(np.sum(np.abs(np.diff(np.array(s))))) for s in walker_phi_sign]
    transitions_300 = int(np.sum(np.abs(np.diff(ind))))
    thin = max(1, len(phis) // 4000)
    sample = np.round(np.stack([phis[::thin], psis[::thin]], axis=1) * 1000).astype(int)
    md_steps = steps * n
    out = {
        'system': 'alanine-dipeptide (ACE-ALA-NME, amber99sbildn.xml, vacuum, NoCutoff, no constraints)',
        'temperature': 300.0,
        'method': 'replica exchange MD (OpenMM Reference platform, LangevinMiddleIntegrator)',
        'settings': {'temperatures': TEMPS, 'dtFs': DT_FS, 'gammaPerPs': GAMMA, 'swapEvery': SWAP, 'recordEvery': RECORD,
                     'burnInPs': BURN_PS, 'seed': SEED, 'phiAtoms': PHI, 'psiAtoms': PSI, 'openmm': openmm.__version__},
        'cost': {'wallSeconds': round(wall, 1), 'mdStepsAllReplicas': md_steps, 'forceEvaluations': md_steps,
                 'simulatedNsPerReplica': round(steps * DT_FS * 1e-6, 4), 'cpu': 'one core of the 2-core shared VM'},
        'records': int(len(phis)),
        'bins': BINS,
        'histogram': hist.astype(int).tolist(),
        'phiPositiveFraction': p_pos,
        'phiPositiveFractionStderr': p_err,
        'deltaF': dF,
        'deltaFStderr': dF_err,
        'deltaFDefinition': 'F(φ>0) − F(φ<0) = −ln(p(φ>0)/p(φ<0)) in kT at 300 K',
        'convergence': {'splitRhatBasinIndicator4Chunks': rhat, 'transitionsAt300K': transitions_300,
                        'transitionsPerWalker': transitions_walker,
                        'swapAcceptance': [a / max(t, 1) for a, t in zip(swaps_acc, swaps_tried)]},
        'sampleMilliradians': sample.tolist(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with gzip.open(OUT, 'wt', compresslevel=9) as f:
        json.dump(out, f, separators=(',', ':'))
    if CONF_OUT:
        conf_out = {
            'system': out['system'],
            'temperature': 300.0,
            'method': out['method'] + ', 300 K replica',
            'settings': dict(out['settings'], conformationEvery=CONF_EVERY * RECORD, stepsPerReplica=steps),
            'cost': out['cost'],
            'deltaF': dF,
            'deltaFStderr': dF_err,
            'unit': '1e-4 nm',
            'conformations': confs,
        }
        with gzip.open(CONF_OUT, 'wt', compresslevel=9) as f:
            json.dump(conf_out, f, separators=(',', ':'))
    summary = {k: v for k, v in out.items() if k not in ('histogram', 'sampleMilliradians')}
    print(json.dumps(summary, indent=1))


if __name__ == '__main__':
    main()
