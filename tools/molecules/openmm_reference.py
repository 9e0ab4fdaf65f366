#!/usr/bin/python3
"""OpenMM reference energies for the force-field tests of @boltzflow/energies.

stdin: JSON {"pdb": text, "forceField": [file names from openmm/app/data or XML texts], "positions": [[3N floats, nm], ...],
             "dihedrals": [[i, j, k, l], ...] (optional)}
stdout: JSON {"groups": [force class names], "energies": [[kJ/mol per group] per conformation],
              "forces": [[3N, kJ/mol/nm] per conformation], "dihedrals": [[rad per dihedral] per conformation],
              "platform": name, "version": OpenMM version}
Reference platform, vacuum, NoCutoff, no constraints: the settings ForceFieldEnergy reproduces.
"""
import io
import json
import sys

import numpy as np
import openmm
from openmm import app, unit


def main():
    req = json.load(sys.stdin)
    pdb = app.PDBFile(io.StringIO(req['pdb']))
    sources = [io.StringIO(f) if f.lstrip().startswith('<') else f for f in req['forceField']]
    ff = app.ForceField(*sources)
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None, rigidWater=False, removeCMMotion=False)
    groups = []
    for k, f in enumerate(system.getForces()):
        f.setForceGroup(k)
        groups.append(type(f).__name__)
    dihedrals = req.get('dihedrals', [])
    first = len(groups)
    for k, (i, j, l, m) in enumerate(dihedrals):
        t = openmm.CustomTorsionForce('theta')
        t.addTorsion(i, j, l, m, [])
        t.setForceGroup(first + k)
        system.addForce(t)
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName('Reference'))
    out = {'groups': groups, 'energies': [], 'forces': [], 'dihedrals': [], 'platform': 'Reference', 'version': openmm.__version__}
    n_atoms = system.getNumParticles()
    ff_mask = sum(1 << k for k in range(first))
    for pos in req['positions']:
        ctx.setPositions(np.asarray(pos, dtype=np.float64).reshape(n_atoms, 3))
        out['energies'].append([ctx.getState(getEnergy=True, groups={k}).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole) for k in range(first)])
        forces = ctx.getState(getForces=True, groups=ff_mask).getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
        out['forces'].append(np.asarray(forces).reshape(-1).tolist())
        out['dihedrals'].append([ctx.getState(getEnergy=True, groups={first + k}).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole) for k in range(len(dihedrals))])
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
