import { BoltzflowError, assertOneOf } from '@boltzflow/core';
import { childrenNamed, parseXml, type XmlElement } from './xml.js';

/** An atom type of an OpenMM force field (`<AtomTypes><Type>`). */
export interface AtomTypeDef {
  name: string;
  atomClass: string;
  element: string;
  mass: number;
}

/** A residue template (`<Residues><Residue>`): atom names and types, internal bonds, atoms with external bonds. */
export interface ResidueTemplate {
  name: string;
  atoms: { name: string; type: string; charge?: number }[];
  bonds: [number, number][];
  externalBonds: number[];
}

/**
 * The set of atom types a force-field entry position accepts: `null` is the wildcard (`class=""`), which accepts
 * every type, as OpenMM's `_atomClasses['']`.
 */
export type TypeSet = ReadonlySet<string> | null;

export interface BondDef {
  types: [TypeSet, TypeSet];
  length: number;
  k: number;
}
export interface AngleDef {
  types: [TypeSet, TypeSet, TypeSet];
  angle: number;
  k: number;
}
export interface TorsionDef {
  types: [TypeSet, TypeSet, TypeSet, TypeSet];
  periodicity: number[];
  phase: number[];
  k: number[];
  ordering: 'default' | 'charmm' | 'amber' | 'smirnoff';
}
export interface NonbondedDef {
  coulomb14scale: number;
  lj14scale: number;
  /** Per-type parameters (charge may come from the residue templates instead). */
  params: Map<string, { charge?: number; sigma: number; epsilon: number }>;
  chargeFromResidue: boolean;
}

/** Forces this reader implements; any other force in a file is an error rather than a silently missing term. */
const SUPPORTED = new Set(['AtomTypes', 'Residues', 'HarmonicBondForce', 'HarmonicAngleForce', 'PeriodicTorsionForce', 'NonbondedForce']);

function num(el: XmlElement, key: string, what: string): number {
  const raw = el.attributes[key];
  const v = raw === undefined ? NaN : Number(raw);
  if (!Number.isFinite(v)) {
    throw new BoltzflowError('INVALID_VALUE', `Force field ${what} lacks a numeric '${key}'`, {
      argument: 'forceField',
      expected: `${key}="<number>"`,
      received: JSON.stringify(el.attributes),
    });
  }
  return v;
}

/** An OpenMM ForceField XML file read into plain tables (the subset boltzflow supports: see `SUPPORTED`). */
export class OpenMMForceField {
  readonly types = new Map<string, AtomTypeDef>();
  readonly classes = new Map<string, Set<string>>();
  readonly templates: ResidueTemplate[] = [];
  readonly bonds: BondDef[] = [];
  readonly angles: AngleDef[] = [];
  readonly propers: TorsionDef[] = [];
  readonly impropers: TorsionDef[] = [];
  nonbonded: NonbondedDef | undefined;

  /** Reads one or more ForceField XML texts (later files add to earlier ones, as `ForceField(a, b)` in OpenMM). */
  constructor(xmlTexts: string | readonly string[]) {
    const texts = typeof xmlTexts === 'string' ? [xmlTexts] : xmlTexts;
    for (const text of texts) {
      if (typeof text !== 'string') {
        throw new BoltzflowError('INVALID_VALUE', 'Force field must be XML text', {
          argument: 'forceField',
          expected: 'the ForceField XML file contents as a string',
          received: typeof text,
        });
      }
      const doc = parseXml(text, 'forceField');
      const root = doc.children.find((c) => c.tag === 'ForceField');
      if (!root) {
        throw new BoltzflowError('INVALID_VALUE', 'Not an OpenMM force field', {
          argument: 'forceField',
          expected: 'a <ForceField> root element',
          received: doc.children.map((c) => `<${c.tag}>`).join(', ') || 'no element',
        });
      }
      // Types first: the force sections refer to them.
      for (const sec of childrenNamed(root, 'AtomTypes')) this.readTypes(sec);
      for (const sec of root.children) {
        if (sec.tag === 'AtomTypes') continue;
        if (!SUPPORTED.has(sec.tag)) {
          throw new BoltzflowError('INVALID_VALUE', `Unsupported force-field section <${sec.tag}>`, {
            argument: 'forceField',
            expected: [...SUPPORTED].map((s) => `<${s}>`).join(', '),
            received: `<${sec.tag}>`,
          });
        }
        if (sec.tag === 'Residues') this.readResidues(sec);
        else if (sec.tag === 'HarmonicBondForce') for (const b of childrenNamed(sec, 'Bond')) this.addBond(b);
        else if (sec.tag === 'HarmonicAngleForce') for (const a of childrenNamed(sec, 'Angle')) this.addAngle(a);
        else if (sec.tag === 'PeriodicTorsionForce') this.readTorsions(sec);
        else if (sec.tag === 'NonbondedForce') this.readNonbonded(sec);
      }
    }
  }

  private readTypes(sec: XmlElement): void {
    for (const t of childrenNamed(sec, 'Type')) {
      const name = t.attributes.name;
      const atomClass = t.attributes.class ?? '';
      if (name === undefined) {
        throw new BoltzflowError('INVALID_VALUE', 'Atom type without a name', {
          argument: 'forceField',
          expected: '<Type name=…>',
          received: JSON.stringify(t.attributes),
        });
      }
      this.types.set(name, { name, atomClass, element: t.attributes.element ?? '', mass: Number(t.attributes.mass ?? 0) });
      if (!this.classes.has(atomClass)) this.classes.set(atomClass, new Set());
      this.classes.get(atomClass)!.add(name);
    }
  }

  private readResidues(sec: XmlElement): void {
    for (const r of childrenNamed(sec, 'Residue')) {
      const atoms = childrenNamed(r, 'Atom').map((a) => {
        const atom: { name: string; type: string; charge?: number } = { name: a.attributes.name ?? '', type: a.attributes.type ?? '' };
        if (a.attributes.charge !== undefined) atom.charge = Number(a.attributes.charge);
        return atom;
      });
      const index = (el: XmlElement, idxKey: string, nameKey: string): number => {
        if (el.attributes[idxKey] !== undefined) return Number(el.attributes[idxKey]);
        const k = atoms.findIndex((a) => a.name === el.attributes[nameKey]);
        if (k < 0) {
          throw new BoltzflowError('INVALID_VALUE', `Residue template ${r.attributes.name} refers to an unknown atom`, {
            argument: 'forceField',
            expected: 'an atom of the template',
            received: JSON.stringify(el.attributes),
          });
        }
        return k;
      };
      this.templates.push({
        name: r.attributes.name ?? '',
        atoms,
        bonds: childrenNamed(r, 'Bond').map((b) => [index(b, 'from', 'atomName1'), index(b, 'to', 'atomName2')] as [number, number]),
        externalBonds: childrenNamed(r, 'ExternalBond').map((b) => index(b, 'from', 'atomName')),
      });
    }
  }

  /** The type sets of an entry's `type1…`/`class1…` attributes, or undefined when one names nothing (OpenMM skips such entries). */
  private typeSets(el: XmlElement, count: number): TypeSet[] | undefined {
    const out: TypeSet[] = [];
    for (let i = 1; i <= count; i++) {
      const type = el.attributes[`type${i}`];
      const cls = el.attributes[`class${i}`];
      if (type !== undefined) {
        if (type === '') out.push(null);
        else if (this.types.has(type)) out.push(new Set([type]));
        else return undefined;
      } else if (cls !== undefined) {
        if (cls === '') out.push(null);
        else if (this.classes.has(cls)) out.push(this.classes.get(cls)!);
        else return undefined;
      } else {
        throw new BoltzflowError('INVALID_VALUE', `Force-field <${el.tag}> lacks type${i}/class${i}`, {
          argument: 'forceField',
          expected: `type${i} or class${i}`,
          received: JSON.stringify(el.attributes),
        });
      }
    }
    return out;
  }

  private addBond(el: XmlElement): void {
    const t = this.typeSets(el, 2);
    if (t) this.bonds.push({ types: t as [TypeSet, TypeSet], length: num(el, 'length', 'bond'), k: num(el, 'k', 'bond') });
  }

  private addAngle(el: XmlElement): void {
    const t = this.typeSets(el, 3);
    if (t) this.angles.push({ types: t as [TypeSet, TypeSet, TypeSet], angle: num(el, 'angle', 'angle'), k: num(el, 'k', 'angle') });
  }

  private readTorsions(sec: XmlElement): void {
    const ordering = sec.attributes.ordering ?? 'default';
    assertOneOf(ordering, ['default', 'charmm', 'amber', 'smirnoff'], 'forceField', { message: 'Unknown improper ordering' });
    for (const el of sec.children) {
      if (el.tag !== 'Proper' && el.tag !== 'Improper') continue;
      const t = this.typeSets(el, 4);
      if (!t) continue;
      const def: TorsionDef = { types: t as TorsionDef['types'], periodicity: [], phase: [], k: [], ordering };
      for (let i = 1; el.attributes[`periodicity${i}`] !== undefined; i++) {
        def.periodicity.push(num(el, `periodicity${i}`, 'torsion'));
        def.phase.push(num(el, `phase${i}`, 'torsion'));
        def.k.push(num(el, `k${i}`, 'torsion'));
      }
      (el.tag === 'Proper' ? this.propers : this.impropers).push(def);
    }
  }

  private readNonbonded(sec: XmlElement): void {
    const coulomb14scale = num(sec, 'coulomb14scale', 'NonbondedForce');
    const lj14scale = num(sec, 'lj14scale', 'NonbondedForce');
    const fromResidue = childrenNamed(sec, 'UseAttributeFromResidue').map((u) => u.attributes.name);
    const chargeFromResidue = fromResidue.includes('charge');
    if (!this.nonbonded) this.nonbonded = { coulomb14scale, lj14scale, params: new Map(), chargeFromResidue };
    else if (Math.abs(this.nonbonded.coulomb14scale - coulomb14scale) > 1e-8 || Math.abs(this.nonbonded.lj14scale - lj14scale) > 1e-8) {
      throw new BoltzflowError('INVALID_VALUE', 'Force fields disagree on the 1-4 scale factors', {
        argument: 'forceField',
        expected: `coulomb14scale=${this.nonbonded.coulomb14scale}, lj14scale=${this.nonbonded.lj14scale}`,
        received: `${coulomb14scale}, ${lj14scale}`,
      });
    }
    for (const a of childrenNamed(sec, 'Atom')) {
      const type = a.attributes.type;
      const cls = a.attributes.class;
      const set = type !== undefined ? (this.types.has(type) ? new Set([type]) : undefined) : cls !== undefined ? this.classes.get(cls) : undefined;
      if (!set) continue;
      const p: { charge?: number; sigma: number; epsilon: number } = { sigma: num(a, 'sigma', 'nonbonded atom'), epsilon: num(a, 'epsilon', 'nonbonded atom') };
      if (!chargeFromResidue) p.charge = num(a, 'charge', 'nonbonded atom');
      for (const t of set) this.nonbonded.params.set(t, p);
    }
  }
}

/** True when `type` is accepted by `set` (null = wildcard). */
export function accepts(set: TypeSet, type: string): boolean {
  return set === null || set.has(type);
}
