/**
 * @module Small statistics helpers: exact percentiles over every sample (no histogram
 * rounding: sub-millisecond latencies matter here).
 */

export interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Every latency of a stage, ms. */
export class LatencyLog {
  #data = new Float64Array(1024);
  #n = 0;
  #sorted: Float64Array | undefined;

  add(ms: number): void {
    if (this.#n === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#n++] = ms;
    this.#sorted = undefined;
  }

  get count(): number {
    return this.#n;
  }

  percentile(q: number): number {
    if (this.#n === 0) return 0;
    this.#sorted ??= this.#data.slice(0, this.#n).sort();
    return this.#sorted[Math.min(this.#n - 1, Math.max(0, Math.ceil(q * this.#n) - 1))] as number;
  }

  /**
   * The 99th percentile over every arrival, `missed` of which got no answer (an open model's
   * dropped arrivals): each of those counts as slower than any answer. Infinity when more than
   * 1 % were missed. A generator with more connections would have sent them, late.
   */
  p99WithMissed(missed: number): number {
    const tail = 0.01 * (this.#n + missed) - missed;
    if (tail < 0) return Number.POSITIVE_INFINITY;
    return this.#n === 0 ? 0 : round(this.percentile(1 - tail / this.#n));
  }

  summary(): Summary {
    let sum = 0;
    for (let i = 0; i < this.#n; i++) sum += this.#data[i] as number;
    return {
      p50: round(this.percentile(0.5)),
      p90: round(this.percentile(0.9)),
      p99: round(this.percentile(0.99)),
      max: round(this.percentile(1)),
      mean: round(this.#n ? sum / this.#n : 0),
    };
  }
}

export function percentiles(samples: readonly number[]): Summary {
  const log = new LatencyLog();
  for (const s of samples) log.add(s);
  return log.summary();
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
