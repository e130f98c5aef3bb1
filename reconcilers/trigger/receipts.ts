/**
 * When metrics were last received from each node: written by the trigger, read by the EdgeNode
 * reconciler for its status. Both run in the operator process, so this is shared memory; it is
 * not state that must survive a restart (the next message refreshes it).
 */
export class MetricsReceipts {
  private readonly last = new Map<string, number>();

  record(node: string, atMs: number): void {
    this.last.set(node, atMs);
  }

  /** Milliseconds since the epoch of the last message of `node`, or undefined. */
  lastReceived(node: string): number | undefined {
    return this.last.get(node);
  }
}

/** The operator's receipts (one process, one instance). */
export const metricsReceipts = new MetricsReceipts();
