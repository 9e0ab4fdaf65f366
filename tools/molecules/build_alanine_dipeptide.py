#!/usr/bin/python3
"""Builds the alanine-dipeptide data module of @boltzflow/energies from Debian's OpenMM (python3-simtk).

1. Places ACE-ALA-NME (22 atoms, atom names of the Amber templates) from a standard-geometry Z-matrix with the
   backbone at phi = -80 deg, psi = 75 deg (the C7eq basin), checks that the alanine is the L enantiomer,
   and minimises it with OpenMM (amber99sbildn.xml, vacuum, NoCutoff, no constraints, Reference platform).
2. Cuts amber99sbildn.xml down to what these three residues use (their atom types, templates and every force
   entry whose classes they can match, wildcards included), so the shipped data is small but reads through the
   same ForceField code path as the full file; the test checks both give the same energies.
3. Writes packages/energies/src/molecules/alanineDipeptideData.ts (PDB text, XML text, provenance).

Run: /usr/bin/python3 tools/molecules/build_alanine_dipeptide.py
"""
import hashlib
import io
import json
import math
import os
import sys
import xml.etree.ElementTree as ET

import numpy as np
import openmm
from openmm import app, unit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'energies', 'src', 'molecules', 'alanineDipeptideData.ts')
FF_NAME = 'amber99sbildn.xml'
FF_PATH = os.path.join(os.path.dirname(app.__file__), 'data', FF_NAME)

PHI, PSI = -80.0, 75.0

# (name, residue, element, bond ref, bond length A, angle ref, angle deg, dihedral ref, dihedral deg)
# Indices refer to the final atom order below; atoms are placed in the order of BUILD.
ATOMS = [
    ('HH31', 'ACE', 'H'), ('CH3', 'ACE', 'C'), ('HH32', 'ACE', 'H'), ('HH33', 'ACE', 'H'), ('C', 'ACE', 'C'), ('O', 'ACE', 'O'),
    ('N', 'ALA', 'N'), ('H', 'ALA', 'H'), ('CA', 'ALA', 'C'), ('HA', 'ALA', 'H'), ('CB', 'ALA', 'C'), ('HB1', 'ALA', 'H'),
    ('HB2', 'ALA', 'H'), ('HB3', 'ALA', 'H'), ('C', 'ALA', 'C'), ('O', 'ALA', 'O'),
    ('N', 'NME', 'N'), ('H', 'NME', 'H'), ('CH3', 'NME', 'C'), ('HH31', 'NME', 'H'), ('HH32', 'NME', 'H'), ('HH33', 'NME', 'H'),
]
RESNUM = {'ACE': 1, 'ALA': 2, 'NME': 3}


def build_order(cb_offset):
    return [
        (1, None),
        (4, (1, 1.522)),
        (5, (4, 1.229, 1, 120.5)),
        (6, (4, 1.335, 5, 122.9, 1, 180.0)),
        (0, (1, 1.090, 4, 109.5, 5, 0.0)),
        (2, (1, 1.090, 4, 109.5, 5, 120.0)),
        (3, (1, 1.090, 4, 109.5, 5, -120.0)),
        (7, (6, 1.010, 4, 119.8, 5, 180.0)),
        (8, (6, 1.449, 4, 121.9, 1, 180.0)),
        (14, (8, 1.522, 6, 111.1, 4, PHI)),
        (10, (8, 1.526, 6, 110.5, 4, PHI + cb_offset)),
        (9, (8, 1.090, 6, 109.5, 4, PHI - cb_offset)),
        (11, (10, 1.090, 8, 109.5, 6, 60.0)),
        (12, (10, 1.090, 8, 109.5, 6, 180.0)),
        (13, (10, 1.090, 8, 109.5, 6, -60.0)),
        (16, (14, 1.335, 8, 116.6, 6, PSI)),
        (15, (14, 1.229, 8, 120.5, 6, PSI + 180.0)),
        (17, (16, 1.010, 14, 119.8, 15, 180.0)),
        (18, (16, 1.449, 14, 121.9, 8, 180.0)),
        (19, (18, 1.090, 16, 109.5, 14, 60.0)),
        (20, (18, 1.090, 16, 109.5, 14, 180.0)),
        (21, (18, 1.090, 16, 109.5, 14, -60.0)),
    ]


def place(c, b, a, r, theta, phi):
    """Atom d with |d-c| = r, angle d-c-b = theta, dihedral d-c-b-a = phi (degrees), natural extension reference frame."""
    theta, phi = math.radians(theta), math.radians(phi)
    bc = c - b
    bc /= np.linalg.norm(bc)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    d2 = np.array([-r * math.cos(theta), r * math.sin(theta) * math.cos(phi), r * math.sin(theta) * math.sin(phi)])
    return c + d2[0] * bc + d2[1] * m + d2[2] * n


def build(cb_offset):
    x = np.zeros((22, 3))
    placed = set()
    for idx, spec in build_order(cb_offset):
        if spec is None:
            x[idx] = 0.0
        elif len(spec) == 2:
            x[idx] = x[spec[0]] + np.array([spec[1], 0.0, 0.0])
        elif len(spec) == 4:
            ref, r, aref, ang = spec
            t = math.radians(ang)
            u = (x[aref] - x[ref]) / np.linalg.norm(x[aref] - x[ref])
            perp = np.array([-u[1], u[0], 0.0]) if abs(u[2]) < 0.9 else np.array([0.0, -u[2], u[1]])
            perp /= np.linalg.norm(perp)
            x[idx] = x[ref] + r * (math.cos(t) * u + math.sin(t) * perp)
        else:
            ref, r, aref, ang, dref, dih = spec
            assert {ref, aref, dref} <= placed, (idx, spec)
            x[idx] = place(x[ref], x[aref], x[dref], r, ang, dih)
        placed.add(idx)
    return x


def is_l_alanine(x):
    # CORN rule: seen from HA towards CA, C -> CB -> N runs clockwise for an L amino acid.
    ca, c, cb, n, ha = x[8], x[14], x[10], x[6], x[9]
    return float(np.dot(np.cross(cb - c, n - c), ha - ca)) < 0


def dihedral(p0, p1, p2, p3):
    b1, b2, b3 = p1 - p0, p2 - p1, p3 - p2
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    return math.degrees(math.atan2(np.linalg.norm(b2) * np.dot(b1, n2), np.dot(n1, n2)))


def pdb_text(x_angstrom):
    lines = []
    for i, (name, res, el) in enumerate(ATOMS):
        rec = 'HETATM' if res in ('ACE', 'NME') else 'ATOM  '
        nm = name if len(name) == 4 else ' ' + name
        lines.append('%s%5d %-4s %3s A%4d    %8.3f%8.3f%8.3f  1.00  0.00          %2s' % (rec, i + 1, nm, res, RESNUM[res], *x_angstrom[i], el))
    lines.append('TER')
    lines.append('END')
    return '\n'.join(lines) + '\n'


def make_system(topology, ff):
    system = ff.createSystem(topology, nonbondedMethod=app.NoCutoff, constraints=None, rigidWater=False)
    for k, f in enumerate(system.getForces()):
        f.setForceGroup(k)
    return system


def subset_forcefield(tree, residues):
    root = tree.getroot()
    templates = [r for r in root.find('Residues') if r.get('name') in residues]
    used_types = {a.get('type') for r in templates for a in r.findall('Atom')}
    all_types = root.find('AtomTypes')
    type_class = {t.get('name'): t.get('class') for t in all_types}
    used_classes = {type_class[t] for t in used_types}

    def ok(el, count):
        for i in range(1, count + 1):
            t, c = el.get('type%d' % i), el.get('class%d' % i)
            if t is not None and t != '' and t not in used_types:
                return False
            if c is not None and c != '' and c not in used_classes:
                return False
        return True

    out = ET.Element('ForceField')
    out.text = '\n '
    at = ET.SubElement(out, 'AtomTypes')
    for t in all_types:
        if t.get('name') in used_types:
            at.append(t)
    rs = ET.SubElement(out, 'Residues')
    for r in templates:
        rs.append(r)
    for sec, tag, count in (('HarmonicBondForce', 'Bond', 2), ('HarmonicAngleForce', 'Angle', 3), ('PeriodicTorsionForce', None, 4), ('NonbondedForce', 'Atom', 1)):
        src = root.find(sec)
        dst = ET.SubElement(out, sec, dict(src.attrib))
        for el in src:
            if tag is not None and el.tag != tag:
                dst.append(el)  # e.g. UseAttributeFromResidue
                continue
            if sec == 'NonbondedForce':
                keep = el.get('type') in used_types if el.get('type') is not None else el.get('class') in used_classes
            else:
                keep = ok(el, count)
            if keep:
                dst.append(el)
    ET.indent(out, space=' ')
    return ET.tostring(out, encoding='unicode') + '\n'


def main():
    ff = app.ForceField(FF_NAME)
    x = None
    for offset in (-120.0, 120.0):
        cand = build(offset)
        if is_l_alanine(cand):
            x = cand
            break
    assert x is not None, 'no L-alanine placement'
    pdb = app.PDBFile(io.StringIO(pdb_text(x)))
    system = make_system(pdb.topology, ff)
    integrator = openmm.VerletIntegrator(0.001)
    ctx = openmm.Context(system, integrator, openmm.Platform.getPlatformByName('Reference'))
    ctx.setPositions(pdb.positions)
    e0 = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    openmm.LocalEnergyMinimizer.minimize(ctx, 1e-3, 0)
    state = ctx.getState(getEnergy=True, getPositions=True)
    e1 = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    xm = state.getPositions(asNumpy=True).value_in_unit(unit.angstrom)
    assert is_l_alanine(xm)
    text = pdb_text(xm)
    # Energy of the structure as shipped (3-decimal Angstrom coordinates).
    shipped = app.PDBFile(io.StringIO(text))
    ctx.setPositions(shipped.positions)
    e_shipped = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    phi = dihedral(xm[4], xm[6], xm[8], xm[14])
    psi = dihedral(xm[6], xm[8], xm[14], xm[16])

    raw = open(FF_PATH, 'rb').read()
    xml = subset_forcefield(ET.parse(FF_PATH), {'ACE', 'ALA', 'NME'})
    # The cut-down file must reproduce the full file's system exactly.
    ff_small = app.ForceField(io.StringIO(xml))
    sys_small = make_system(shipped.topology, ff_small)
    ctx2 = openmm.Context(sys_small, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName('Reference'))
    ctx2.setPositions(shipped.positions)
    e_small = ctx2.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    assert abs(e_small - e_shipped) < 1e-6 * max(1.0, abs(e_shipped)), (e_small, e_shipped)

    provenance = {
        'openmm': openmm.__version__,
        'forceField': FF_NAME,
        'forceFieldSha256': hashlib.sha256(raw).hexdigest(),
        'builtAt': {'phiDeg': PHI, 'psiDeg': PSI},
        'minimised': {'phiDeg': round(phi, 3), 'psiDeg': round(psi, 3), 'energyKJPerMol': round(e_shipped, 4), 'energyBeforeKJPerMol': round(e0, 4)},
    }
    ts = (
        '// Generated by tools/molecules/build_alanine_dipeptide.py from Debian\'s OpenMM ' + openmm.__version__ + ' data; do not edit.\n'
        '// ACE-ALA-NME built from a standard-geometry Z-matrix and minimised with OpenMM in vacuum (Amber ff99SB-ILDN).\n\n'
        'export const ALANINE_DIPEPTIDE_PROVENANCE = ' + json.dumps(provenance, indent=2) + ' as const;\n\n'
        'export const ALANINE_DIPEPTIDE_PDB = ' + json.dumps(text) + ';\n\n'
        '/** amber99sbildn.xml cut down to the atom types, templates and parameters ACE, ALA and NME can use. */\n'
        'export const AMBER99SBILDN_ALANINE_DIPEPTIDE_XML = ' + json.dumps(xml) + ';\n'
    )
    with open(OUT, 'w') as f:
        f.write(ts)
    print(json.dumps(provenance, indent=2))
    print('wrote', os.path.relpath(OUT, ROOT), len(ts), 'bytes')


if __name__ == '__main__':
    sys.exit(main())
