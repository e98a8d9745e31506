/**
 * Latency statistics: a sample recorder that does not allocate per sample, nearest-rank
 * percentiles, a log-spaced histogram and a downsampled CDF for the HTML report.
 */

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p% at or below it. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[n - 1];
  // The epsilon keeps 99.9% of 1000 at rank 999 despite 0.999 * 1000 = 999.0000000000001.
  const rank = Math.ceil((p * n) / 100 - 1e-9);
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}

export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, min: NaN, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    min: sorted[0],
    mean: sum / n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[n - 1],
  };
}

/**
 * Keeps samples in one growing Float64Array; past `cap` it keeps a uniform reservoir so a
 * long run cannot exhaust memory, while count and max stay exact.
 */
export class SampleRecorder {
  private buf: Float64Array;
  private n = 0;
  private seen = 0;
  private maxSeen = -Infinity;
  private rng: () => number;

  constructor(private readonly cap = 5_000_000, rng: () => number = Math.random) {
    this.buf = new Float64Array(Math.min(cap, 4096));
    this.rng = rng;
  }

  add(v: number): void {
    this.seen++;
    if (v > this.maxSeen) this.maxSeen = v;
    if (this.n < this.cap) {
      if (this.n === this.buf.length) {
        const bigger = new Float64Array(Math.min(this.cap, this.buf.length * 2));
        bigger.set(this.buf);
        this.buf = bigger;
      }
      this.buf[this.n++] = v;
      return;
    }
    const j = Math.floor(this.rng() * this.seen);
    if (j < this.cap) this.buf[j] = v;
  }

  /** Samples added, including those the reservoir dropped. */
  get count(): number {
    return this.seen;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }

  summary(): Summary {
    const s = summarize(this.values());
    // The reservoir may have dropped the true maximum; count is what was recorded.
    if (this.seen > 0) {
      s.max = this.maxSeen;
      s.count = this.seen;
    }
    return s;
  }
}

export interface Histogram {
  /** Bucket i holds lo[i] <= v < lo[i+1]; the last edge closes the last bucket. */
  edges: number[];
  counts: number[];
}

/** Log-spaced buckets (`perDecade` per factor of 10) covering every sample; values <= floor share the first bucket. */
export function logHistogram(samples: ArrayLike<number>, perDecade = 10, floor = 0.1): Histogram {
  let max = floor;
  for (let i = 0; i < samples.length; i++) if (samples[i] > max) max = samples[i];
  const decades = Math.max(1, Math.ceil(Math.log10(max / floor) + 1e-9));
  const nb = decades * perDecade;
  const edges: number[] = [];
  for (let i = 0; i <= nb; i++) edges.push(floor * 10 ** (i / perDecade));
  const counts = new Array<number>(nb).fill(0);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    let b = v <= floor ? 0 : Math.floor(Math.log10(v / floor) * perDecade);
    if (b >= nb) b = nb - 1;
    // Floating error at exact edges can put a value one bucket low or high.
    if (b + 1 < edges.length && v >= edges[b + 1]) b++;
    if (b > 0 && v < edges[b]) b--;
    counts[Math.min(b, nb - 1)]++;
  }
  return { edges, counts };
}

/** At most `points` (value, fraction at or below) pairs, always including the minimum and maximum. */
export function cdfPoints(samples: ArrayLike<number>, points = 200): [number, number][] {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return [];
  const out: [number, number][] = [];
  const stepN = Math.max(1, Math.floor(n / points));
  for (let i = stepN - 1; i < n; i += stepN) out.push([sorted[i], (i + 1) / n]);
  if (out.length === 0 || out[0][0] !== sorted[0]) out.unshift([sorted[0], 1 / n]);
  if (out[out.length - 1][1] !== 1) out.push([sorted[n - 1], 1]);
  return out;
}

/** Monotonic wall-clock milliseconds comparable across processes of this machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
