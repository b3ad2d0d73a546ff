/**
 * Summaries over seeds: n, mean, sample standard deviation and a two-sided 95 % Student-t interval of the mean.
 * One definition for every table, figure and finding of the report.
 *
 * A normalised value (a run's test error ÷ the float32 error of the same dataset, length, subset **and seed**) is
 * summarised the same way, over the per-seed ratios: the runs of one seed share the float32 baseline's data order
 * and initial weights, so pairing by seed removes that part of the noise instead of adding the baseline's own
 * spread a second time.
 */

/** n, mean, sample sd (n − 1) and the 95 % t interval of the mean; sd and the interval are NaN when n < 2. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  /** half the width of the 95 % interval: t(0.975, n − 1) · sd / √n */
  readonly halfWidth: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * t(0.975, df) for df = 1..30 (Student's t, two-sided 95 %; scipy.stats.t.ppf); above 30 the Cornish-Fisher
 * expansion in tQuantile975 is within 2e-6 of the exact quantile.
 */
const T975 = [
  12.706204736174694, 4.302652729749462, 3.1824463052837078, 2.7764451051977934, 2.5705818356363146, 2.4469118511449786,
  2.364624251592784, 2.306004135204166, 2.262157162798205, 2.228138851986274, 2.200985160091639, 2.1788128296672284,
  2.1603686564627913, 2.144786687917804, 2.131449545559776, 2.1199052992212546, 2.1098155778333156, 2.1009220402410382,
  2.0930240544083087, 2.085963447265864, 2.0796138447276795, 2.0738730679040254, 2.0686576104190486, 2.0638985616280245,
  2.0595385527532972, 2.0555294386428735, 2.0518305164802846, 2.0484071417952454, 2.045229642132703, 2.0422724563012378,
];

/** The 0.975 quantile of Student's t with `df` degrees of freedom (df ≥ 1). */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) throw new RangeError(`tQuantile975: df ${df} (expected an integer ≥ 1)`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959963984540054;
  const z3 = z ** 3,
    z5 = z ** 5,
    z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
  );
}

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); NaN for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** The summary of `xs` (non-finite values are refused: a NaN error is a failed run, not a number to average). */
export function summarize(xs: readonly number[]): Summary {
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`summarize: ${x} is not a finite value`);
  const n = xs.length;
  const m = mean(xs);
  const sd = sampleSd(xs);
  const halfWidth = n >= 2 ? (tQuantile975(n - 1) * sd) / Math.sqrt(n) : Number.NaN;
  return { n, mean: m, sd, halfWidth, lo: m - halfWidth, hi: m + halfWidth };
}

/** Whether two summaries' intervals overlap (false when either has no interval). */
export function overlaps(a: Summary, b: Summary): boolean {
  if (!(Number.isFinite(a.halfWidth) && Number.isFinite(b.halfWidth))) return false;
  return a.lo <= b.hi && b.lo <= a.hi;
}

/** Whether `x` lies in the summary's interval (false when it has none). */
export function inInterval(s: Summary, x: number): boolean {
  return Number.isFinite(s.halfWidth) && s.lo <= x && x <= s.hi;
}

/**
 * "1.24 ± 0.05 [1.12, 1.36], n=3" with `digits` decimals (sd after ±, the 95 % interval in brackets); "1.24, n=1
 * (no interval)" for one run.
 */
export function formatSummary(s: Summary, digits = 2): string {
  const f = (x: number) => x.toFixed(digits);
  if (s.n < 2) return `${f(s.mean)}, n=${s.n} (no interval)`;
  return `${f(s.mean)} ± ${f(s.sd)} [${f(s.lo)}, ${f(s.hi)}], n=${s.n}`;
}
