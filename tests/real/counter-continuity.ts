/**
 * Whether a restored `counterPod`'s log (helpers.ts) shows one memory. Restored by the runtime
 * (containerd 2.3), the pod's log starts with the log copied into the checkpoint (count 1);
 * restored through continuum's runc wrapper, it holds only what the restored process printed
 * (from the checkpoint's count on). Either way every line must carry the source's token, and the
 * counts must run on by one from the first line, with no gap and no restart from 1.
 *
 * One line may appear twice where the restore happened, and that is not a second memory:
 * containerd 2.3 copies the container log into the checkpoint after CRIU has dumped the process,
 * and CRIU restores the unread bytes of the stdout pipe; a line the shim read between the two is
 * in the copied log and is written again by the restored process (seen on the real nodes:
 * `1 … 8, 9, 9`).
 */
export interface CounterContinuity {
  /** Every line carries the token. */
  sameToken: boolean;
  /** Without repeated lines, the counts are k, k+1, k+2 … from the first line's k. */
  noGap: boolean;
  /** Lines that repeat the line before them. */
  repeated: number;
  /** All of it: the same token, no gap, at most the one line in flight at the checkpoint twice. */
  continued: boolean;
}

export function counterContinuity(
  lines: Array<{ token: string; count: number }>,
  token: string,
): CounterContinuity {
  const sameToken = lines.every((l) => l.token === token);
  const distinct = lines.filter((l, i) => i === 0 || l.count !== lines[i - 1]!.count);
  const noGap = distinct.every((l, i) => l.count === distinct[0]!.count + i);
  const repeated = lines.length - distinct.length;
  return { sameToken, noGap, repeated, continued: sameToken && noGap && repeated <= 1 };
}
