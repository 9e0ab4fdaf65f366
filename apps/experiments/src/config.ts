import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { BACKEND_NAMES, BoltzflowError } from '@boltzflow/core';

/** Config files are only parsed as JSON, never executed; this caps what a typo'd path can make us read. */
export const MAX_CONFIG_BYTES = 256 * 1024;

export const SEED_MAX = 2 ** 32 - 1;

/**
 * The envelope every config file shares. `params` are checked afterwards against the chosen experiment's own schema,
 * so that errors there are reported with the full path (`params.training.steps`).
 */
export const ConfigFileSchema = z
  .object({
    experiment: z.string().min(1),
    seed: z.number().int().min(0).max(SEED_MAX).optional(),
    backend: z.enum(BACKEND_NAMES as unknown as [string, ...string[]]).optional(),
    quick: z.boolean().optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(root)' : out;
}

interface Described {
  path: string;
  expected: string;
  received: string;
}

/** One zod issue → the field path, what it should be (type, range or allowed values) and what it was. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown, prefix: string): Described[] {
  const value = valueAt(input, issue.path);
  const path = joinPath(prefix, issue.path);
  const received = describeValue(value);
  const i = issue as unknown as Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = String(i.expected);
      return [{ path, expected: expected === 'int' ? 'an integer' : expected, received: value === undefined ? 'nothing (required field missing)' : received }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? i.minimum : i.maximum;
      const inclusive = i.inclusive !== false;
      const op = issue.code === 'too_small' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
      const origin = String(i.origin ?? 'number');
      const what = origin === 'array' ? 'length' : origin === 'string' ? 'length' : 'a number';
      return [{ path, expected: `${what} ${op} ${String(bound)}`, received }];
    }
    case 'invalid_value': {
      const values = (i.values as unknown[] | undefined) ?? [];
      return [{ path, expected: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, received }];
    }
    case 'unrecognized_keys': {
      const keys = (i.keys as string[] | undefined) ?? [];
      return keys.map((k) => ({
        path: joinPath(prefix, [...issue.path, k]),
        expected: 'no such field (unknown key; check the spelling)',
        received: describeValue(valueAt(input, [...issue.path, k])),
      }));
    }
    case 'invalid_format':
      return [{ path, expected: `a string in ${String(i.format)} format`, received }];
    case 'not_multiple_of':
      return [{ path, expected: `a multiple of ${String(i.divisor)}`, received }];
    case 'invalid_union':
      return [{ path, expected: issue.message, received }];
    default:
      return [{ path, expected: issue.message, received }];
  }
}

/** One failed parse of `input` (reported with `prefix` before its field paths). */
export interface ConfigFailure {
  error: z.ZodError;
  input: unknown;
  prefix?: string;
}

/** Turns a failed parse into one BoltzflowError whose one-line message names every bad field. */
export function configError(error: z.ZodError, input: unknown, prefix = '', source = 'config'): BoltzflowError {
  return configErrors([{ error, input, prefix }], source);
}

/** Several failed parses (the envelope and the params of one file) as one error naming every bad field of all. */
export function configErrors(failures: readonly ConfigFailure[], source = 'config'): BoltzflowError {
  const described = failures.flatMap((f) => f.error.issues.flatMap((iss) => describeIssue(iss, f.input, f.prefix ?? '')));
  const text = described.map((d) => `'${d.path}': expected ${d.expected}, received ${d.received}`).join('; ');
  const first = described[0];
  return new BoltzflowError('INVALID_CONFIG', `Invalid ${source}: ${text}`, {
    field: first?.path,
    issues: described,
  });
}

/** Parses `input` with `schema`, throwing {@link configError} on failure. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, prefix = '', source = 'config'): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw configError(r.error, input, prefix, source);
  return r.data;
}

/**
 * Paths of every `__proto__` key at any depth. JSON.parse makes them own properties, but merging them into an object
 * would set its prototype (and drop the field silently), so they are refused.
 */
function protoKeys(v: unknown, at: string, out: string[] = []): string[] {
  if (v === null || typeof v !== 'object' || out.length > 20) return out;
  if (Array.isArray(v)) v.forEach((x, i) => protoKeys(x, `${at}[${i}]`, out));
  else {
    for (const k of Object.keys(v)) {
      const p = at === '' ? k : `${at}.${k}`;
      if (k === '__proto__') out.push(p);
      else protoKeys((v as Record<string, unknown>)[k], p, out);
    }
  }
  return out;
}

/**
 * Reads a small text file that a user hands in (`what`, e.g. "Config file", names it in errors; `argument` is the
 * error's argument): a regular file whose size is checked before anything is read.
 */
export async function readSmallTextFile(file: string, what: string, argument: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a regular file');
    size = s.size;
  } catch (e) {
    throw new BoltzflowError('IO', `Cannot read ${what.toLowerCase()} ${file}: ${(e as Error).message}`, { argument });
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new BoltzflowError('INVALID_CONFIG', `${what} ${file} is too large`, {
      argument,
      expected: `at most ${MAX_CONFIG_BYTES} bytes`,
      received: `${size} bytes`,
    });
  }
  return readFile(file, 'utf8');
}

/** Reads a JSON config file: size checked before reading, parsed with JSON.parse only, `__proto__` keys refused. */
export async function readConfigJson(file: string): Promise<unknown> {
  const text = await readSmallTextFile(file, 'Config file', 'config');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BoltzflowError('INVALID_CONFIG', `Config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const proto = protoKeys(json, '');
  if (proto.length > 0) {
    throw new BoltzflowError('INVALID_CONFIG', `Invalid config file ${file}: ${proto.map((p) => `'${p}'`).join(', ')}: '__proto__' is not allowed as a key`, {
      field: proto[0],
      expected: 'no __proto__ keys',
      received: proto.join(', '),
    });
  }
  return json;
}

/** Reads a JSON config file and validates its envelope (the experiment's params are checked by prepareRun). */
export async function readConfigFile(file: string): Promise<ConfigFile> {
  return parseWith(ConfigFileSchema, await readConfigJson(file), '', `config file ${file}`);
}

// deepMerge lives in its own browser-safe module (the playground's worker imports it); re-exported here.
export { deepMerge } from './deepMerge.js';
