/** Machine-readable category of a {@link BoltzflowError}; callers branch on this, not on the message text. */
export type BoltzflowErrorCode =
  | 'INVALID_SHAPE'
  | 'INVALID_VALUE'
  | 'NON_FINITE'
  | 'INVALID_CONFIG'
  | 'BACKEND_UNAVAILABLE'
  | 'DIVERGED'
  | 'NOT_CONVERGED'
  | 'CHECKPOINT'
  | 'IO';

/** Structured context of a {@link BoltzflowError}; also formatted into its message. */
export interface BoltzflowErrorDetails {
  /** Name of the offending argument or config field, e.g. `x` or `sampler.stepSize`. */
  argument?: string;
  /** What was expected, e.g. `[n, 2]` or `> 0`. */
  expected?: string;
  /** What was received, e.g. `[5, 3]` or `-1`. */
  received?: string;
  [key: string]: unknown;
}

/** The single error type of the library: every guard, every validation and every guarded divergence throws this. */
export class BoltzflowError extends Error {
  readonly code: BoltzflowErrorCode;
  readonly details: BoltzflowErrorDetails;

  constructor(code: BoltzflowErrorCode, message: string, details: BoltzflowErrorDetails = {}) {
    super(BoltzflowError.format(message, details));
    this.name = 'BoltzflowError';
    this.code = code;
    this.details = details;
  }

  private static format(message: string, d: BoltzflowErrorDetails): string {
    const parts: string[] = [];
    if (d.argument !== undefined) parts.push(`argument '${d.argument}'`);
    if (d.expected !== undefined) parts.push(`expected ${d.expected}`);
    if (d.received !== undefined) parts.push(`received ${d.received}`);
    return parts.length > 0 ? `${message} (${parts.join('; ')})` : message;
  }
}

/** True for errors thrown by this library (works across duplicated module instances). */
export function isBoltzflowError(e: unknown): e is BoltzflowError {
  return e instanceof BoltzflowError || (e instanceof Error && e.name === 'BoltzflowError' && 'code' in e);
}
