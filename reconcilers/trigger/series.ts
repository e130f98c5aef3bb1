/**
 * The sliding window of one metric of one pod (or node): answers "has every sample of the last
 * `forMs` been above X?" in O(1) amortised per sample, whatever the window length, by keeping
 * the samples as a monotonic deque (each kept sample is smaller than every later kept one), so
 * the minimum over [t - forMs, t] is the first kept sample at or after t - forMs.
 *
 * A series restarts when samples stop arriving for longer than `maxGapMs` (a missing message
 * must not count as "still above"); `since` is the time of its first sample.
 */

export interface Sample {
  /** Sample time, ms since the epoch (the agent's clock). */
  t: number;
  value: number;
  /** What the value is about, e.g. the container name for container metrics. */
  source?: string;
}

/** What a window says about its last `forMs`. */
export interface WindowView {
  /** Smallest value in [latest.t - forMs, latest.t]. */
  min: number;
  latest: Sample;
  /** True when the series has samples since at least latest.t - forMs (it covers the window). */
  covered: boolean;
}

export class MetricSeries {
  private deque: Sample[] = [];
  private head = 0;
  /** Time of the first sample of the current uninterrupted series. */
  since = Number.NaN;
  latest: Sample | undefined;

  /**
   * @param retainMs how far back to keep samples (the longest `for` that may be asked).
   * @param maxGapMs a longer silence restarts the series.
   */
  constructor(
    public retainMs: number,
    public maxGapMs: number,
  ) {}

  /** Adds a sample; returns false (ignored) when it is not newer than the latest one (a replay). */
  add(sample: Sample): boolean {
    const latest = this.latest;
    if (latest && sample.t <= latest.t) return false;
    if (!latest || sample.t - latest.t > this.maxGapMs) {
      this.deque = [];
      this.head = 0;
      this.since = sample.t;
    }
    const d = this.deque;
    while (d.length > this.head && d[d.length - 1]!.value >= sample.value) d.pop();
    d.push(sample);
    const cutoff = sample.t - this.retainMs;
    while (this.head < d.length - 1 && d[this.head]!.t < cutoff) this.head++;
    if (this.head > 64 && this.head * 2 > d.length) {
      this.deque = d.slice(this.head);
      this.head = 0;
    }
    this.latest = sample;
    return true;
  }

  /** The window of the last `forMs` (at most the retained span), or undefined when empty. */
  view(forMs: number): WindowView | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    const from = latest.t - forMs;
    const d = this.deque;
    let i = this.head;
    while (i < d.length - 1 && d[i]!.t < from) i++;
    return { min: d[i]!.value, latest, covered: this.since <= from };
  }
}
