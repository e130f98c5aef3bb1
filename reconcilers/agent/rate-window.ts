/**
 * The rate of a cumulative counter (CPU time) over a window: keeps the readings of the last
 * window and answers (latest - base) / (latest time - base time), where base is the newest reading
 * at least `windowMs` old (90 % of it, to absorb timer jitter), or the oldest one while the window
 * is still filling. Samples are taken once per interval, so a window shorter than the interval
 * measures over one interval.
 */
export class RateWindow {
  private readonly readings: { t: number; value: number }[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records a reading at monotonic time `t` (ms); returns the rate per ms, or undefined with one reading. */
  add(t: number, value: number): number | undefined {
    const r = this.readings;
    const last = r[r.length - 1];
    if (last && (value < last.value || t <= last.t)) r.length = 0; // counter reset: start over
    r.push({ t, value });
    const cutoff = t - this.windowMs * 0.9;
    let base = 0;
    for (let i = r.length - 2; i >= 0; i--) {
      if (r[i]!.t <= cutoff) {
        base = i;
        break;
      }
    }
    if (base > 0) r.splice(0, base);
    if (r.length < 2) return undefined;
    const first = r[0]!;
    return (value - first.value) / (t - first.t);
  }
}
