import * as tf from '@tensorflow/tfjs';
// Node's file system behind the `#platform` adapter (platform.node.ts / platform.browser.ts), so browsers can bundle this.
import { Buffer, createHash, currentPid, fs, os, path, processAlive, randomUUID } from '#platform';

export { processAlive };
import {
  BoltzflowError,
  isBoltzflowError,
  Rng,
  TMP_PREFIX,
  writeFileAtomic,
  type Distribution,
  type RngState,
  type SerializedConfig,
  assertOneOf,
} from '@boltzflow/core';
import { bijectorFromConfig } from '@boltzflow/bijectors';
import { flowVariables } from './flowParts.js';

/**
 * Checkpoint layout (one directory per checkpoint; see the package README):
 *
 *   manifest.json               ← the only entry point, written last by an atomic rename
 *   architecture-<id>.json      ← flow.toConfig()
 *   weights-<id>.bin            ← Float32 little-endian: trainable then non-trainable variables, concatenated
 *   optimizer-<id>.bin          ← Float32 little-endian optimizer slots (e.g. Adam m then v), when an optimizer was given
 *
 * Every file is written to a temporary name in the same directory, fsynced and renamed. Data files carry a fresh
 * `<id>` per save, so the previous manifest keeps pointing at complete previous files until the new manifest replaces
 * it; the old files are deleted only afterwards. A crash at any moment leaves either the old or the new checkpoint.
 */
export const CHECKPOINT_FORMAT = 'boltzflow-checkpoint';
/** 2: the manifest carries `manifestSha256`, a SHA-256 of its own other fields (version 1 had none and is refused). */
export const CHECKPOINT_VERSION = 2;
const MANIFEST = 'manifest.json';
/** Every temporary file starts with this, so a later save can tell (and sweep) what a killed writer left behind. */
export const CHECKPOINT_TMP_PREFIX = TMP_PREFIX;
/** Held (O_EXCL) while a save writes and sweeps, so that two writers to one directory never delete each other's files. */
const LOCK = '.boltzflow-lock';
const LOCK_WAIT_MS = 60_000;
/** A lock older than this is stale whatever its owner (an owner on another host cannot be checked). */
const LOCK_STALE_MS = 10 * 60_000;
/** Age after which a lock file with no owner written into it counts as left by a killed writer. */
const EMPTY_LOCK_STALE_MS = 1_000;
const DATA_FILE = /^(architecture-.+\.json|weights-.+\.bin|optimizer-.+\.bin)$/;

/**
 * Bounds on manifest numbers. Replaying an RNG costs time linear in its use count (about 1–3 ns per word with xoshiro128**; it was ≈ 40 ns with the Mersenne Twister), so the bound
 * on `useCount` is what keeps a damaged or hand-edited value from hanging loadFlow; 2³⁷ ≈ 1.4·10¹¹ words is more than
 * 10⁶ steps drawing 10⁵ words each.
 */
export const MAX_RNG_USE_COUNT = 2 ** 37;
const MAX_STEP = 2 ** 40;
/** tfjs keeps the optimizer's iteration count in an int32 scalar. */
const MAX_ITERATIONS = 2 ** 31 - 1;
const MAX_DIMENSION = 2 ** 31 - 1;
const MAX_SHORT_STRING = 200;

const MANIFEST_MAX_BYTES = 16 * 2 ** 20;
const ARCHITECTURE_MAX_BYTES = 64 * 2 ** 20;
const BINARY_MAX_BYTES_DEFAULT = 2 ** 31 - 1;

/** One tensor stored in a binary file: `offset` and `shape` in float32 elements. */
export interface CheckpointTensorEntry {
  name: string;
  shape: number[];
  offset: number;
  /** `trainable` / `nonTrainable` for flow weights; absent for optimizer slots. */
  group?: 'trainable' | 'nonTrainable';
}

/** A binary or JSON file referenced by the manifest, with its size and SHA-256. */
export interface CheckpointFileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

/** The JSON manifest (schema version 1). */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  step: number;
  tfjsVersion: string;
  backend: string;
  architecture: CheckpointFileEntry;
  weights: CheckpointFileEntry & { dtype: 'float32'; byteOrder: 'little'; tensors: CheckpointTensorEntry[] };
  optimizer:
    | null
    | (CheckpointFileEntry & {
        className: string;
        config: Record<string, number | string | boolean | null>;
        iterations: number;
        /** Adam's running β₁ᵗ, β₂ᵗ products, saved so that a resumed run matches an uninterrupted one bit for bit. */
        accBeta1?: number;
        accBeta2?: number;
        dtype: 'float32';
        byteOrder: 'little';
        tensors: CheckpointTensorEntry[];
      });
  rng: RngState | null;
  extra: unknown;
  /** SHA-256 of `JSON.stringify(manifest without this field, null, 1)`: catches bit flips and hand edits. */
  manifestSha256: string;
}

/** Options of {@link saveFlow}. */
export interface SaveFlowOptions {
  /** Optimizer whose state (iterations, slots) is saved; its slots must follow `flow.trainableVariables` order. */
  optimizer?: tf.Optimizer;
  /** Random stream whose state is saved (restored by {@link loadFlow} as `rng`). */
  rng?: Rng;
  /** Optimizer steps done so far. Default 0. */
  step?: number;
  /** Any JSON value stored alongside (e.g. training-loop state). */
  extra?: unknown;
}

/** Options of {@link loadFlow}. */
export interface LoadFlowOptions {
  /**
   * Rebuilds the flow from its stored `toConfig()`. Default: `distributionFromConfig(config, { bijectorFromConfig })`
   * from @boltzflow/distributions and @boltzflow/bijectors.
   */
  fromConfig?: (config: SerializedConfig) => Distribution | Promise<Distribution>;
  /** Largest accepted binary file (bytes). Default 2 GiB − 1. */
  maxBytes?: number;
}

/** What {@link loadFlow} returns. The caller owns `flow` and `optimizer` (dispose them when done). */
export interface LoadedFlow {
  flow: Distribution;
  step: number;
  /** The saved random stream, continuing exactly where it stopped; undefined when none was saved. */
  rng?: Rng;
  /** The optimizer rebuilt with its state; undefined when none was saved. */
  optimizer?: tf.Optimizer;
  extra: unknown;
  manifest: CheckpointManifest;
}

/** A fully read and validated checkpoint, not yet applied to any flow. */
export interface CheckpointData {
  manifest: CheckpointManifest;
  config: SerializedConfig;
  weights: Array<{ name: string; group: 'trainable' | 'nonTrainable'; shape: number[]; values: Float32Array }>;
  optimizer?: {
    className: string;
    config: Record<string, number | string | boolean | null>;
    iterations: number;
    accBeta1?: number;
    accBeta2?: number;
    slots: Array<{ name: string; shape: number[]; values: Float32Array }>;
  };
  rng?: RngState;
  step: number;
  extra: unknown;
}

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new BoltzflowError('CHECKPOINT', message, details);
}

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

function float32ToBytes(parts: Float32Array[]): Buffer {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = Buffer.alloc(n * 4);
  let off = 0;
  for (const p of parts) {
    if (LITTLE_ENDIAN) Buffer.from(p.buffer, p.byteOffset, p.byteLength).copy(out, off);
    else for (let i = 0; i < p.length; i++) out.writeFloatLE(p[i], off + 4 * i);
    off += p.byteLength;
  }
  return out;
}

function bytesToFloat32(buf: Buffer): Float32Array {
  const n = buf.length / 4;
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN) Buffer.from(out.buffer).set(buf);
  else for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(4 * i);
  return out;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function writeCheckpointFile(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFileAtomic(path.join(dir, name), data);
  } catch (e) {
    throw new BoltzflowError('IO', `Could not write checkpoint file ${name}: ${(e as Error).message}`, { argument: 'dir', received: dir });
  }
}

/** File names in `dir` (empty when it cannot be listed: sweeping is best effort). */
async function listDir(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

async function removeFile(dir: string, name: string): Promise<void> {
  await fs.unlink(path.join(dir, name)).catch(() => undefined);
}

function ownerAlive(owner: string): boolean {
  const [pid, host] = owner.split(' ');
  if (host !== os.hostname() || !/^\d+$/.test(pid ?? '')) return true;
  return processAlive(Number(pid));
}

/**
 * Takes the directory's save lock, waiting while another live writer holds it. A lock left by a killed process (same
 * host, pid gone) or older than LOCK_STALE_MS is taken over. Also the writability probe of the directory.
 */
async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK);
  const me = `${currentPid()} ${os.hostname()}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const h = await fs.open(file, 'wx');
      try {
        await h.writeFile(me);
      } finally {
        await h.close();
      }
      return () => fs.unlink(file).catch(() => undefined);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new BoltzflowError('IO', `Checkpoint directory is not writable: ${(e as Error).message}`, { argument: 'dir', received: dir });
    }
    const [owner, st] = await Promise.all([fs.readFile(file, 'utf8').catch(() => ''), fs.stat(file).catch(() => undefined)]);
    // An empty lock is one whose writer was killed between creating it and writing its owner (microseconds apart for a
    // live writer), so after EMPTY_LOCK_STALE_MS it is taken over too instead of blocking every later save.
    const age = st ? Date.now() - st.mtimeMs : 0;
    if (st && (age > LOCK_STALE_MS || (owner !== '' && !ownerAlive(owner)) || (owner === '' && age > EMPTY_LOCK_STALE_MS))) {
      await fs.unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) fail('Checkpoint directory is busy: another process is saving into it', { argument: 'dir', received: dir, owner });
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the renames durable; not supported everywhere (e.g. some network file systems), hence best effort.
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort */
  }
}

async function readLimited(file: string, limit: number, what: string): Promise<Buffer> {
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    fail(`Checkpoint ${what} is missing`, { argument: 'dir', received: file });
  }
  if (!st.isFile()) fail(`Checkpoint ${what} is not a file`, { received: file });
  if (st.size > limit) fail(`Checkpoint ${what} is too large`, { expected: `≤ ${limit} bytes`, received: `${st.size} bytes` });
  return fs.readFile(file);
}

/** Throws CHECKPOINT when `dir` holds a manifest.json that is not a boltzflow one (saving would overwrite it). */
async function refuseForeignManifest(dir: string): Promise<void> {
  let text: string;
  try {
    text = (await readLimited(path.join(dir, MANIFEST), MANIFEST_MAX_BYTES, 'manifest')).toString('utf8');
  } catch (e) {
    if (isBoltzflowError(e) && /missing/.test(e.message)) return;
    throw e;
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    m = undefined;
  }
  if (!m || typeof m !== 'object' || (m as { format?: unknown }).format !== CHECKPOINT_FORMAT) {
    fail('Refusing to overwrite a directory whose manifest.json is not a boltzflow checkpoint', { argument: 'dir', received: dir });
  }
}

/**
 * Checks, before any work is done, that `dir` can receive checkpoints: it is (or can be made) a writable directory and
 * holds no foreign or unreadable manifest.json. Training calls this at its start so that a bad directory fails at step 0
 * rather than at the first save.
 */
export async function checkCheckpointDir(dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir === '')
    throw new BoltzflowError('INVALID_VALUE', 'Checkpoint directory must be a path', { argument: 'dir', expected: 'non-empty string', received: String(dir) });
  await (await openForSave(dir))();
}

/** Creates `dir`, takes its save lock and checks its manifest is ours (or absent); returns the lock's release. */
async function openForSave(dir: string): Promise<() => Promise<void>> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new BoltzflowError('IO', `Cannot create checkpoint directory: ${(e as Error).message}`, { argument: 'dir', received: dir });
  }
  const release = await acquireLock(dir);
  try {
    await refuseForeignManifest(dir);
  } catch (e) {
    await release();
    throw e;
  }
  return release;
}

function isPlainFileName(f: string): boolean {
  return f.length > 0 && f.length < 256 && f === path.basename(f) && !f.startsWith('.') && !/[\\/\0]/.test(f);
}

function jsonValue(value: unknown, argument: string): unknown {
  if (value === undefined) return null;
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch (e) {
    throw new BoltzflowError('INVALID_VALUE', `Not JSON-serialisable: ${(e as Error).message}`, { argument, expected: 'JSON value' });
  }
  if (s === undefined) throw new BoltzflowError('INVALID_VALUE', 'Not JSON-serialisable', { argument, expected: 'JSON value' });
  return JSON.parse(s);
}

/**
 * Writes a checkpoint of `flow` into `dir` (created if needed): architecture (`flow.toConfig()`), weights (trainable and
 * non-trainable variables), and optionally optimizer state, RNG state, step and extra JSON. Writing is atomic: a reader
 * sees the previous checkpoint or the new one, never a mix. Refuses (CHECKPOINT) non-finite weights and a directory
 * holding a foreign manifest.json.
 */
export async function saveFlow(flow: Distribution, dir: string, options: SaveFlowOptions = {}): Promise<void> {
  if (!flow || typeof flow.toConfig !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a Distribution with toConfig()', { argument: 'flow', expected: 'Distribution', received: typeof flow });
  }
  if (typeof dir !== 'string' || dir === '')
    throw new BoltzflowError('INVALID_VALUE', 'Checkpoint directory must be a path', { argument: 'dir', expected: 'non-empty string', received: String(dir) });
  const step = options.step ?? 0;
  if (!Number.isInteger(step) || step < 0)
    throw new BoltzflowError('INVALID_VALUE', 'step must be an integer ≥ 0', { argument: 'step', expected: 'integer ≥ 0', received: String(step) });
  const extra = jsonValue(options.extra, 'extra');
  const config = jsonValue(flow.toConfig(), 'flow.toConfig()') as SerializedConfig;

  const { trainable, nonTrainable } = flowVariables(flow);
  const entries: CheckpointTensorEntry[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const [group, vars] of [
    ['trainable', trainable],
    ['nonTrainable', nonTrainable],
  ] as const) {
    for (const v of vars) {
      if (v.dtype !== 'float32') fail('Only float32 variables can be checkpointed', { argument: v.name, received: v.dtype });
      const data = (await v.data()) as Float32Array;
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) fail('Refusing to save non-finite weights', { argument: v.name, expected: 'finite values' });
      }
      entries.push({ name: v.name, group, shape: [...v.shape], offset });
      arrays.push(data);
      offset += data.length;
    }
  }
  const weightBytes = float32ToBytes(arrays);

  let optimizerPart: { bytes: Buffer; meta: Omit<NonNullable<CheckpointManifest['optimizer']>, 'file' | 'bytes' | 'sha256'> } | undefined;
  if (options.optimizer) {
    optimizerPart = await optimizerState(options.optimizer);
  }

  const release = await openForSave(dir);
  try {
    const id = `${step}-${randomUUID().slice(0, 8)}`;
    const archText = JSON.stringify(config);
    const archFile = `architecture-${id}.json`;
    const weightsFile = `weights-${id}.bin`;
    const optFile = `optimizer-${id}.bin`;
    await writeCheckpointFile(dir, archFile, archText);
    await writeCheckpointFile(dir, weightsFile, weightBytes);
    if (optimizerPart) await writeCheckpointFile(dir, optFile, optimizerPart.bytes);

    const manifest: Omit<CheckpointManifest, 'manifestSha256'> = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      createdAt: new Date().toISOString(),
      step,
      tfjsVersion: tf.version.tfjs,
      backend: tf.getBackend() ?? 'unknown',
      architecture: { file: archFile, bytes: Buffer.byteLength(archText), sha256: sha256(Buffer.from(archText)) },
      weights: { file: weightsFile, bytes: weightBytes.length, sha256: sha256(weightBytes), dtype: 'float32', byteOrder: 'little', tensors: entries },
      optimizer: optimizerPart ? { file: optFile, bytes: optimizerPart.bytes.length, sha256: sha256(optimizerPart.bytes), ...optimizerPart.meta } : null,
      rng: options.rng ? options.rng.getState() : null,
      extra,
    };
    await syncDir(dir);
    await writeCheckpointFile(dir, MANIFEST, JSON.stringify({ ...manifest, manifestSha256: manifestChecksum(manifest) }, null, 1));
    await syncDir(dir);
    // Under the lock every data file the new manifest does not name, and every temp file, is left over from an
    // earlier save (this process's previous one, or a writer that was killed or raced us): sweep them all.
    const keep = new Set([archFile, weightsFile, optFile]);
    for (const f of await listDir(dir)) {
      if ((DATA_FILE.test(f) && !keep.has(f)) || f.startsWith(CHECKPOINT_TMP_PREFIX)) await removeFile(dir, f);
    }
  } finally {
    await release();
  }
}

/** The manifest's checksum: SHA-256 of its JSON (as saveFlow writes it) without the checksum field. */
function manifestChecksum(manifest: Record<string, unknown>): string {
  const { manifestSha256: _, ...rest } = manifest;
  return sha256(Buffer.from(JSON.stringify(rest, null, 1)));
}

async function optimizerState(
  optimizer: tf.Optimizer,
): Promise<{ bytes: Buffer; meta: Omit<NonNullable<CheckpointManifest['optimizer']>, 'file' | 'bytes' | 'sha256'> }> {
  let named: Array<{ name: string; tensor: tf.Tensor }>;
  try {
    named = await optimizer.getWeights();
  } catch (e) {
    throw new BoltzflowError('CHECKPOINT', `Optimizer state cannot be saved: ${(e as Error).message}`, {
      argument: 'optimizer',
      received: optimizer.getClassName(),
    });
  }
  // The first entry is a fresh 'iter' scalar owned by us; the rest are the optimizer's own slot variables.
  const iterTensor = named[0];
  const iterations = Math.round((await iterTensor.tensor.data())[0]);
  iterTensor.tensor.dispose();
  const tensors: CheckpointTensorEntry[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named.slice(1)) {
    const data = (await tensor.data()) as Float32Array;
    tensors.push({ name, shape: [...tensor.shape], offset });
    arrays.push(data);
    offset += data.length;
  }
  const config = optimizer.getConfig() as Record<string, number | string | boolean | null>;
  const meta: Omit<NonNullable<CheckpointManifest['optimizer']>, 'file' | 'bytes' | 'sha256'> = {
    className: optimizer.getClassName(),
    config: jsonValue(config, 'optimizer.getConfig()') as Record<string, number | string | boolean | null>,
    iterations,
    dtype: 'float32',
    byteOrder: 'little',
    tensors,
  };
  // Adam's setWeights recomputes β^t with pow(), which can differ in the last bit from the running product it keeps
  // while training; saving the running products makes a resumed run bit-identical to an uninterrupted one.
  const acc = optimizer as unknown as { accBeta1?: unknown; accBeta2?: unknown };
  if (acc.accBeta1 instanceof tf.Variable && acc.accBeta2 instanceof tf.Variable) {
    meta.accBeta1 = (await acc.accBeta1.data())[0];
    meta.accBeta2 = (await acc.accBeta2.data())[0];
  }
  return { bytes: float32ToBytes(arrays), meta };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function checkInt(v: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    fail(`Invalid manifest field ${what}`, { argument: what, expected: `integer in [${min}, ${max}]`, received: JSON.stringify(v) });
  return v;
}

function checkShortString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > MAX_SHORT_STRING)
    fail(`Invalid manifest field ${what}`, {
      argument: what,
      expected: `a string of at most ${MAX_SHORT_STRING} characters`,
      received: JSON.stringify(v)?.slice(0, 80),
    });
  return v;
}

/**
 * Checks a saved random-stream state (manifest `rng`, or the training loop's split/shuffle states) before it is
 * replayed: seed words are uint32, and the use count is bounded so that replaying it cannot hang.
 */
export function checkRngState(v: unknown, what: string): RngState {
  if (!isObject(v) || !Array.isArray(v.seed) || v.seed.length === 0 || v.seed.length > 64)
    fail('Invalid RNG state', { argument: what, expected: '{ seed: uint32[1..64], useCount }' });
  const seed = (v.seed as unknown[]).map((s, i) => checkInt(s, `${what}.seed[${i}]`, 0, 0xffffffff));
  return { seed, useCount: checkInt(v.useCount, `${what}.useCount`, 0, MAX_RNG_USE_COUNT) };
}

function checkFileEntry(v: unknown, what: string): CheckpointFileEntry {
  if (!isObject(v)) fail(`Manifest lacks ${what}`, { argument: what });
  if (typeof v.file !== 'string' || !isPlainFileName(v.file))
    fail(`Invalid file name in manifest ${what}`, { argument: `${what}.file`, received: JSON.stringify(v.file) });
  checkInt(v.bytes, `${what}.bytes`);
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) fail(`Invalid checksum in manifest ${what}`, { argument: `${what}.sha256` });
  return v as unknown as CheckpointFileEntry;
}

function checkTensorTable(v: unknown, what: string, totalFloats: number, withGroup: boolean): CheckpointTensorEntry[] {
  if (!Array.isArray(v) || v.length > 1_000_000) fail(`Invalid tensor table ${what}`, { argument: what });
  let offset = 0;
  for (let i = 0; i < v.length; i++) {
    const t = v[i] as unknown;
    if (!isObject(t)) fail(`Invalid tensor entry ${what}[${i}]`);
    if (typeof t.name !== 'string' || t.name.length > 1000) fail(`Invalid tensor name ${what}[${i}]`);
    if (!Array.isArray(t.shape) || t.shape.length > 8) fail(`Invalid tensor shape ${what}[${i}]`, { received: JSON.stringify(t.shape) });
    (t.shape as unknown[]).forEach((s, k) => checkInt(s, `${what}[${i}].shape[${k}]`, 0, MAX_DIMENSION));
    if (sizeOf(t.shape as number[]) > totalFloats)
      fail(`Tensor ${what}[${i}] is larger than its file`, { expected: `≤ ${totalFloats} floats`, received: JSON.stringify(t.shape) });
    if (checkInt(t.offset, `${what}[${i}].offset`) !== offset)
      fail(`Tensor table ${what} is not contiguous`, { argument: `${what}[${i}].offset`, expected: String(offset), received: String(t.offset) });
    if (withGroup)
      assertOneOf(t.group, ['trainable', 'nonTrainable'], `${what}[${i}].group`, { code: 'CHECKPOINT', message: `Invalid tensor group ${what}[${i}]` });
    offset += sizeOf(t.shape as number[]);
  }
  if (offset !== totalFloats) fail(`Tensor table ${what} does not cover its file`, { expected: `${totalFloats} floats`, received: `${offset}` });
  return v as CheckpointTensorEntry[];
}

async function readVerified(dir: string, entry: CheckpointFileEntry, limit: number, what: string): Promise<Buffer> {
  const buf = await readLimited(path.join(dir, entry.file), Math.min(limit, entry.bytes), what);
  if (buf.length !== entry.bytes) fail(`Checkpoint ${what} has the wrong size`, { expected: `${entry.bytes} bytes`, received: `${buf.length} bytes` });
  if (sha256(buf) !== entry.sha256) fail(`Checkpoint ${what} fails its checksum (corrupted or foreign file)`, { argument: entry.file });
  return buf;
}

function finiteFloats(buf: Buffer, what: string): Float32Array {
  if (buf.length % 4 !== 0) fail(`Checkpoint ${what} is not a float32 array`, { received: `${buf.length} bytes` });
  const f = bytesToFloat32(buf);
  for (let i = 0; i < f.length; i++)
    if (!Number.isFinite(f[i])) fail(`Checkpoint ${what} holds non-finite numbers`, { argument: what, received: `index ${i}` });
  return f;
}

/**
 * Reads and validates a checkpoint without touching any flow: size limits, manifest schema, file checksums, finite
 * numbers, contiguous tensor tables and RNG state. Every problem throws BoltzflowError('CHECKPOINT').
 */
export async function readCheckpoint(dir: string, options: { maxBytes?: number } = {}): Promise<CheckpointData> {
  const limit = options.maxBytes ?? BINARY_MAX_BYTES_DEFAULT;
  const text = (await readLimited(path.join(dir, MANIFEST), MANIFEST_MAX_BYTES, 'manifest')).toString('utf8');
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    fail(`Checkpoint manifest is not valid JSON: ${(e as Error).message}`, { argument: path.join(dir, MANIFEST) });
  }
  if (!isObject(m) || m.format !== CHECKPOINT_FORMAT)
    fail('Not a boltzflow checkpoint (foreign manifest)', {
      argument: 'manifest.format',
      expected: CHECKPOINT_FORMAT,
      received: JSON.stringify(isObject(m) ? m.format : m),
    });
  if (m.version !== CHECKPOINT_VERSION)
    fail('Unsupported checkpoint version (version 1 manifests carry no checksum; re-save with this version)', {
      argument: 'manifest.version',
      expected: String(CHECKPOINT_VERSION),
      received: JSON.stringify(m.version),
    });
  // Before any field is trusted: a single flipped bit or a hand edit anywhere in the manifest changes this sum.
  if (typeof m.manifestSha256 !== 'string' || manifestChecksum(m) !== m.manifestSha256) {
    fail('Checkpoint manifest fails its checksum (corrupted or edited by hand)', { argument: 'manifest.manifestSha256', received: path.join(dir, MANIFEST) });
  }
  const step = checkInt(m.step, 'step', 0, MAX_STEP);
  checkShortString(m.createdAt, 'createdAt');
  checkShortString(m.tfjsVersion, 'tfjsVersion');
  checkShortString(m.backend, 'backend');

  const archEntry = checkFileEntry(m.architecture, 'architecture');
  const archBuf = await readVerified(dir, archEntry, ARCHITECTURE_MAX_BYTES, 'architecture');
  let config: unknown;
  try {
    config = JSON.parse(archBuf.toString('utf8'));
  } catch {
    fail('Checkpoint architecture is not valid JSON');
  }
  if (!isObject(config) || typeof config.type !== 'string') fail('Checkpoint architecture has no type', { argument: 'architecture.type' });

  const wEntry = checkFileEntry(m.weights, 'weights');
  const w = m.weights as Record<string, unknown>;
  if (w.dtype !== 'float32' || w.byteOrder !== 'little')
    fail('Unsupported weight encoding', { expected: 'float32 little-endian', received: `${String(w.dtype)} ${String(w.byteOrder)}` });
  if (wEntry.bytes % 4 !== 0) fail('Weight file size is not a multiple of 4', { received: String(wEntry.bytes) });
  const wTable = checkTensorTable(w.tensors, 'weights.tensors', wEntry.bytes / 4, true);
  const wValues = finiteFloats(await readVerified(dir, wEntry, limit, 'weights'), 'weights');
  const weights = wTable.map((t) => ({ name: t.name, group: t.group!, shape: t.shape, values: wValues.slice(t.offset, t.offset + sizeOf(t.shape)) }));

  let optimizer: CheckpointData['optimizer'];
  if (m.optimizer !== null && m.optimizer !== undefined) {
    const oEntry = checkFileEntry(m.optimizer, 'optimizer');
    const o = m.optimizer as Record<string, unknown>;
    if (!isObject(o.config)) fail('Invalid optimizer description', { argument: 'optimizer.config' });
    const className = checkShortString(o.className, 'optimizer.className');
    optimizerClass(className);
    if (o.dtype !== 'float32' || o.byteOrder !== 'little' || oEntry.bytes % 4 !== 0) fail('Unsupported optimizer encoding');
    for (const [k, v] of Object.entries(o.config)) {
      const ok =
        v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_SHORT_STRING);
      if (!ok)
        fail('Invalid optimizer config', {
          argument: `optimizer.config.${k}`,
          expected: 'a finite number, boolean, null or short string',
          received: JSON.stringify(v)?.slice(0, 80),
        });
    }
    const iterations = checkInt(o.iterations, 'optimizer.iterations', 0, MAX_ITERATIONS);
    for (const k of ['accBeta1', 'accBeta2'] as const) {
      // Adam's running products β^t lie in [0, 1].
      if (o[k] !== undefined && (typeof o[k] !== 'number' || !(o[k] >= 0 && o[k] <= 1)))
        fail('Invalid optimizer field', { argument: `optimizer.${k}`, expected: 'a number in [0, 1]', received: JSON.stringify(o[k]) });
    }
    const oTable = checkTensorTable(o.tensors, 'optimizer.tensors', oEntry.bytes / 4, false);
    const oValues = finiteFloats(await readVerified(dir, oEntry, limit, 'optimizer state'), 'optimizer state');
    optimizer = {
      className,
      config: o.config as Record<string, number | string | boolean | null>,
      iterations,
      accBeta1: o.accBeta1 as number | undefined,
      accBeta2: o.accBeta2 as number | undefined,
      slots: oTable.map((t) => ({ name: t.name, shape: t.shape, values: oValues.slice(t.offset, t.offset + sizeOf(t.shape)) })),
    };
  }

  const rng = m.rng !== null && m.rng !== undefined ? checkRngState(m.rng, 'rng') : undefined;
  return { manifest: m as unknown as CheckpointManifest, config: config as SerializedConfig, weights, optimizer, rng, step, extra: m.extra ?? null };
}

/**
 * Checks that the checkpoint's weights fit `flow` (same count, order and shapes of trainable and non-trainable
 * variables), and only then assigns them. On a mismatch nothing is written and CHECKPOINT is thrown.
 */
export function assignCheckpointWeights(flow: Distribution, data: CheckpointData): void {
  const { trainable, nonTrainable } = flowVariables(flow);
  const stored = {
    trainable: data.weights.filter((w) => w.group === 'trainable'),
    nonTrainable: data.weights.filter((w) => w.group === 'nonTrainable'),
  };
  for (const [group, vars] of [
    ['trainable', trainable],
    ['nonTrainable', nonTrainable],
  ] as const) {
    const s = stored[group];
    if (s.length !== vars.length)
      fail(`Checkpoint does not match the flow: ${group} variable count differs`, { expected: String(vars.length), received: String(s.length) });
    vars.forEach((v, i) => {
      if (v.shape.length !== s[i].shape.length || v.shape.some((d, k) => d !== s[i].shape[k])) {
        fail(`Checkpoint does not match the flow: shape of ${group} variable ${i} differs`, {
          argument: s[i].name,
          expected: `[${v.shape.join(', ')}]`,
          received: `[${s[i].shape.join(', ')}]`,
        });
      }
    });
  }
  tf.tidy(() => {
    trainable.forEach((v, i) => v.assign(tf.tensor(stored.trainable[i].values, stored.trainable[i].shape, 'float32')));
    nonTrainable.forEach((v, i) => v.assign(tf.tensor(stored.nonTrainable[i].values, stored.nonTrainable[i].shape, 'float32')));
  });
}

/**
 * Rebuilds the optimizer stored in a checkpoint (any tfjs optimizer registered for serialisation), with its slots
 * checked against the flow's trainable variables. Returns undefined when the checkpoint holds no optimizer.
 */
export async function restoreOptimizer(data: CheckpointData, trainable: readonly tf.Variable[]): Promise<tf.Optimizer | undefined> {
  const o = data.optimizer;
  if (!o) return undefined;
  if (o.slots.length > 0) {
    if (trainable.length === 0 || o.slots.length % trainable.length !== 0)
      fail('Optimizer state does not match the flow: slot count', { expected: `a multiple of ${trainable.length}`, received: String(o.slots.length) });
    o.slots.forEach((s, j) => {
      const v = trainable[j % trainable.length];
      if (v.shape.length !== s.shape.length || v.shape.some((d, k) => d !== s.shape[k]))
        fail('Optimizer state does not match the flow: slot shape', {
          argument: s.name,
          expected: `[${v.shape.join(', ')}]`,
          received: `[${s.shape.join(', ')}]`,
        });
    });
  }
  const [cls, fromConfig] = optimizerClass(o.className);
  const optimizer = fromConfig(cls, o.config as tf.serialization.ConfigDict) as unknown as tf.Optimizer;
  const tensors: Array<{ name: string; tensor: tf.Tensor }> = [
    { name: 'iter', tensor: tf.scalar(o.iterations, 'int32') },
    ...o.slots.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape, 'float32') })),
  ];
  try {
    await optimizer.setWeights(tensors);
  } catch (e) {
    optimizer.dispose();
    fail(`Optimizer state cannot be restored: ${(e as Error).message}`, { argument: 'optimizer', received: o.className });
  } finally {
    // setWeights makes its own variables (sharing the data), so these handles can go.
    tf.dispose(tensors.map((t) => t.tensor));
  }
  const acc = optimizer as unknown as { accBeta1?: unknown; accBeta2?: unknown };
  if (o.accBeta1 !== undefined && o.accBeta2 !== undefined && acc.accBeta1 instanceof tf.Variable && acc.accBeta2 instanceof tf.Variable) {
    const a1 = acc.accBeta1;
    const a2 = acc.accBeta2;
    tf.tidy(() => {
      a1.assign(tf.scalar(o.accBeta1!, 'float32'));
      a2.assign(tf.scalar(o.accBeta2!, 'float32'));
    });
  }
  return optimizer;
}

/** The registered tfjs class of a saved optimizer, looked up among own properties only (no `__proto__`, `toString`). */
function optimizerClass(
  className: string,
): [tf.serialization.SerializableConstructor<tf.serialization.Serializable>, tf.serialization.FromConfigMethod<tf.serialization.Serializable>] {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  if (!Object.hasOwn(map, className))
    fail('Unknown optimizer class in checkpoint', {
      argument: 'optimizer.className',
      expected: `one of ${Object.keys(map).join(', ')}`,
      received: JSON.stringify(className),
    });
  return map[className];
}

/**
 * A lower bound on the weights an architecture needs, read from its config before anything is built: every `hidden`
 * list of layer widths [h₀, h₁, …] implies dense matrices h_i × h_{i+1} and biases h_i, and a scalar `hidden` width H
 * (EGNN) an H × H matrix. A crafted or mismatched architecture (`hidden: [4096, 4096]` beside a small weight file) is
 * refused here instead of after seconds and hundreds of MiB of building; exact shapes are checked after building.
 */
export function minimumParameterCount(config: unknown): number {
  let total = 0;
  const visit = (v: unknown, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const h = (v as Record<string, unknown>).hidden;
    if (Array.isArray(h) && h.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      const w = h as number[];
      for (let i = 0; i < w.length; i++) total += w[i] + (i + 1 < w.length ? w[i] * w[i + 1] : 0);
    } else if (typeof h === 'number' && Number.isFinite(h) && h > 0) {
      total += h * h;
    }
    for (const x of Object.values(v)) visit(x, depth + 1);
  };
  visit(config, 0);
  return total;
}

async function defaultFromConfig(config: SerializedConfig): Promise<Distribution> {
  // Loaded lazily: @boltzflow/distributions is only needed when no fromConfig is given.
  const mod = (await import('@boltzflow/distributions')) as unknown as {
    distributionFromConfig?: (c: SerializedConfig, o: { bijectorFromConfig: (c: SerializedConfig) => unknown }) => Distribution;
  };
  if (typeof mod.distributionFromConfig !== 'function') fail('distributionFromConfig is not available in @boltzflow/distributions; pass options.fromConfig');
  return mod.distributionFromConfig(config, { bijectorFromConfig });
}

/**
 * Loads a checkpoint written by {@link saveFlow}: validates everything first, rebuilds the flow from its stored
 * architecture, checks that the stored weights fit it, loads them, and rebuilds the optimizer and RNG when present.
 * A corrupted, truncated, foreign or mismatching checkpoint throws BoltzflowError('CHECKPOINT').
 */
export async function loadFlow(dir: string, options: LoadFlowOptions = {}): Promise<LoadedFlow> {
  const data = await readCheckpoint(dir, { maxBytes: options.maxBytes });
  const stored = data.weights.reduce((n, w) => n + w.values.length, 0);
  const needed = minimumParameterCount(data.config);
  if (needed > stored) {
    fail('Checkpoint architecture needs more weights than the checkpoint holds (checked before building the flow)', {
      argument: 'architecture',
      expected: `≤ ${stored} weights (stored)`,
      received: `≥ ${needed} weights implied by the hidden-layer widths`,
    });
  }
  let flow: Distribution;
  try {
    flow = await (options.fromConfig ?? defaultFromConfig)(data.config);
  } catch (e) {
    if (isBoltzflowError(e) && e.code === 'CHECKPOINT') throw e;
    fail(`Checkpoint architecture cannot be rebuilt: ${(e as Error).message}`, { argument: 'architecture', received: JSON.stringify(data.config.type) });
  }
  const disposeFlow = (): void => (flow as { dispose?: () => void }).dispose?.();
  let optimizer: tf.Optimizer | undefined;
  try {
    assignCheckpointWeights(flow, data);
    optimizer = await restoreOptimizer(data, flowVariables(flow).trainable);
  } catch (e) {
    disposeFlow();
    throw e;
  }
  return { flow, step: data.step, rng: data.rng ? Rng.fromState(data.rng) : undefined, optimizer, extra: data.extra, manifest: data.manifest };
}
