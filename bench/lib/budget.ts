// How much a suite does: the count the issue asks for (overridable by an environment variable) and, in a full
// run, a time budget after which the suite stops early and reports the count it reached, so that `npm run
// bench` stays within 15 minutes on a busy two-core machine. BENCH_TIME_SCALE multiplies every budget (a
// quiet machine or a long run: BENCH_TIME_SCALE=4 npm run bench); a quick run has no budget.

export interface Budget {
  /** How many to do at most. */
  readonly count: number;
  /** The time allowed, in seconds (Infinity in a quick run). */
  readonly seconds: number;
  /** Starts the clock (when the measured work begins, after the setup). */
  begin(): void;
  /** True once the time allowed since begin() has passed. */
  expired(): boolean;
  /** Seconds since begin(). */
  elapsed(): number;
}

export function budget(
  options: {
    /** The environment variable that sets the count of a full run, if one does. */
    readonly env?: string;
    readonly quick: number;
    readonly full: number;
    readonly fullSeconds: number;
  },
  quick: boolean,
): Budget {
  const override = quick || !options.env ? undefined : process.env[options.env];
  const count = override ? Number(override) : quick ? options.quick : options.full;
  if (!Number.isInteger(count) || count < 1) throw new Error(`${options.env} must be a whole number ≥ 1`);
  const scale = Number(process.env['BENCH_TIME_SCALE'] || '1');
  if (!(scale > 0)) throw new Error('BENCH_TIME_SCALE must be a number > 0');
  const seconds = quick ? Infinity : options.fullSeconds * scale;
  let start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  return {
    count,
    seconds,
    begin: () => {
      start = performance.now();
    },
    elapsed,
    expired: () => elapsed() >= seconds,
  };
}
