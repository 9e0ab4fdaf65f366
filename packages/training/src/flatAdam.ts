import { tf } from '@boltzflow/core';

/** The fields of tfjs's AdamOptimizer this subclass reads (private in its typings). */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

interface FlatSlots {
  names: string[];
  sizes: number[];
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * Adam with its moments kept as two flat vectors over all variables, so an update is ≈ 15 kernels plus one split,
 * reshape, add and assign per variable, instead of ≈ 17 kernels per variable (tfjs's `AdamOptimizer`; ≈ 400 small
 * dispatches for a 4-coupling RealNVP, issue #20). Element by element it does the same float32 operations in the same
 * order as `tf.train.adam`, so the same gradients give bit-identical weights and moments.
 *
 * It is an `AdamOptimizer` (class name `Adam`, same config), and `getWeights`/`setWeights` use tfjs's per-variable
 * slot layout (`<var>/m`, `<var>/v`), so checkpoints are interchangeable with `tf.train.adam`'s. A step with a missing
 * (null) gradient falls back to the per-variable update, which leaves that variable's moments untouched as tfjs does.
 */
export class FlatAdamOptimizer extends tf.AdamOptimizer {
  private flat: FlatSlots | undefined;

  /** Same arguments as `tf.train.adam(learningRate, beta1, beta2, epsilon)`. */
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  /**
   * The same optimiser state as a flat one: config, iteration count, moments and the running β₁ᵗ, β₂ᵗ products
   * (copied, not recomputed with pow(), so a resumed run stays bit-identical). `adam` is left as it was (still owned
   * by the caller).
   */
  static async fromAdam(adam: tf.AdamOptimizer): Promise<FlatAdamOptimizer> {
    const c = adam.getConfig() as { learningRate: number; beta1: number; beta2: number; epsilon: number };
    const out = new FlatAdamOptimizer(c.learningRate, c.beta1, c.beta2, c.epsilon);
    const weights = await adam.getWeights();
    try {
      await out.setWeights(weights);
    } finally {
      weights[0].tensor.dispose(); // the fresh iteration scalar; the rest are adam's own slots
    }
    const src = adam as unknown as AdamInternals;
    const dst = out.internals;
    dst.accBeta1.assign(src.accBeta1);
    dst.accBeta2.assign(src.accBeta2);
    return out;
  }

  private get internals(): AdamInternals {
    return this as unknown as AdamInternals;
  }

  /** One Adam step on the flat moments (see the class notes). */
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const list: { name: string; tensor: tf.Tensor | null }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: (variableGradients as Record<string, tf.Tensor | null>)[name] }));
    if (list.length === 0 || list.some((g) => g.tensor == null)) {
      this.unflatten();
      super.applyGradients(variableGradients);
      return;
    }
    const names = list.map((g) => g.name);
    const registered = tf.engine().registeredVariables;
    const vars = names.map((n) => registered[n]);
    if (!this.flat || this.flat.names.length !== names.length || this.flat.names.some((n, i) => n !== names[i])) {
      this.unflatten();
      this.flatten(names, vars);
    }
    const flat = this.flat as FlatSlots;
    const a = this.internals;
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, a.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, a.accBeta2);
      const g = list.length === 1 ? tf.reshape(list[0].tensor as tf.Tensor, [-1]) : tf.concat(list.map((x) => tf.reshape(x.tensor as tf.Tensor, [-1])));
      const m = tf.add(tf.mul(flat.m, a.beta1), tf.mul(g, 1 - a.beta1));
      const v = tf.add(tf.mul(flat.v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
      const mHat = tf.div(m, oneMinusAccBeta1);
      const vHat = tf.div(v, oneMinusAccBeta2);
      flat.m.assign(m);
      flat.v.assign(v);
      const delta = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), a.epsilon)), -a.learningRate);
      const parts = vars.length === 1 ? [delta] : tf.split(delta, flat.sizes);
      vars.forEach((x, i) => x.assign(tf.add(tf.reshape(parts[i], x.shape), x)));
      a.accBeta1.assign(tf.mul(a.accBeta1, a.beta1));
      a.accBeta2.assign(tf.mul(a.accBeta2, a.beta2));
    });
    this.incrementIterations();
  }

  /** Moves per-variable slots (zeros where none exist yet) into the two flat vectors. */
  private flatten(names: string[], vars: tf.Variable[]): void {
    const a = this.internals;
    const sizes = vars.map((x) => x.size);
    const build = (slots: AdamInternals['accumulatedFirstMoment']): tf.Variable =>
      tf.tidy(() => tf.concat(vars.map((_x, i) => (slots[i] ? tf.reshape(slots[i].variable, [-1]) : tf.zeros([sizes[i]])))).variable(false));
    const m = build(a.accumulatedFirstMoment);
    const v = build(a.accumulatedSecondMoment);
    tf.dispose([...a.accumulatedFirstMoment, ...a.accumulatedSecondMoment].map((s) => s.variable));
    a.accumulatedFirstMoment = [];
    a.accumulatedSecondMoment = [];
    this.flat = { names, sizes, m, v };
  }

  /** Splits the flat moments back into tfjs's per-variable slots (before a save or a per-variable step). */
  private unflatten(): void {
    const flat = this.flat;
    if (!flat) return;
    const a = this.internals;
    const registered = tf.engine().registeredVariables;
    const split = (t: tf.Variable, suffix: string) =>
      tf.tidy(() => {
        const parts = flat.sizes.length === 1 ? [t] : tf.split(t, flat.sizes);
        return flat.names.map((name, i) => ({
          originalName: `${name}/${suffix}`,
          variable: tf.reshape(parts[i], registered[name].shape).variable(false),
        }));
      });
    a.accumulatedFirstMoment = split(flat.m, 'm');
    a.accumulatedSecondMoment = split(flat.v, 'v');
    tf.dispose([flat.m, flat.v]);
    this.flat = undefined;
  }

  /** tfjs's layout: iteration count, then `<var>/m` for every variable, then `<var>/v`. */
  override async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    this.unflatten();
    return super.getWeights();
  }

  /** Accepts tfjs's layout (as written by {@link FlatAdamOptimizer.getWeights} or `tf.train.adam`). */
  override async setWeights(weightValues: { name: string; tensor: tf.Tensor }[]): Promise<void> {
    if (this.flat) tf.dispose([this.flat.m, this.flat.v]);
    this.flat = undefined;
    const a = this.internals;
    tf.dispose([...a.accumulatedFirstMoment, ...a.accumulatedSecondMoment].map((s) => s.variable));
    await super.setWeights(weightValues);
  }

  /** Releases the moments and the bias-correction accumulators. */
  override dispose(): void {
    if (this.flat) tf.dispose([this.flat.m, this.flat.v]);
    this.flat = undefined;
    super.dispose();
  }
}
