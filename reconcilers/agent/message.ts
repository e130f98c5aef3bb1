/**
 * The wire format of the metrics path: one {@link MetricsMessage} per node per interval, JSON on
 * the NATS subject {@link metricsSubject}(node). Shared by the agent (writer) and the trigger
 * (reader) so the two cannot drift; {@link parseMetricsMessage} is the only way in.
 */

/** Bumped on any incompatible change; readers drop messages of another version. */
export const METRICS_SCHEMA_VERSION = 1;

/** Subject prefix; the agent of node `n` publishes on `continuum.metrics.n`. */
export const METRICS_SUBJECT_PREFIX = 'continuum.metrics';

/** Upper bound accepted for any percentage (CPU bursts can exceed 100 % of a quota briefly). */
export const MAX_PERCENT = 1000;

export interface ContainerMetrics {
  name: string;
  /** CPU used over the window, % of the container's CPU limit, else of the node's cores. Absent until two samples exist. */
  cpuPercent?: number;
  /** Memory in use, % of the container's memory limit, else of node memory. */
  memoryPercent: number;
  memoryBytes: number;
}

export interface PodMetrics {
  namespace: string;
  name: string;
  uid: string;
  containers: ContainerMetrics[];
}

export interface NodeMetrics {
  /** Busy share of all cores over the window (from /proc/stat). Absent until two samples exist. */
  cpuPercent?: number;
  /** (MemTotal - MemAvailable) / MemTotal from /proc/meminfo. */
  memoryPercent: number;
}

export interface MetricsMessage {
  schemaVersion: typeof METRICS_SCHEMA_VERSION;
  node: string;
  /** Sample time, RFC 3339 with milliseconds (the node's clock). */
  time: string;
  /** The agent's sampling interval: a reader treats a silence of a few intervals as a gap. */
  intervalMs: number;
  nodeMetrics: NodeMetrics;
  pods: PodMetrics[];
}

export function metricsSubject(node: string): string {
  return `${METRICS_SUBJECT_PREFIX}.${node}`;
}

export type ParseResult = { ok: true; message: MetricsMessage } | { ok: false; reason: string };

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPercent(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_PERCENT;
}

function optionalPercent(v: unknown): boolean {
  return v === undefined || isPercent(v);
}

function containerProblem(c: unknown): string | undefined {
  if (!isRecord(c) || typeof c.name !== 'string' || c.name === '') return 'container without name';
  if (!optionalPercent(c.cpuPercent)) return `container "${c.name}": cpuPercent out of range`;
  if (!isPercent(c.memoryPercent)) return `container "${c.name}": memoryPercent out of range`;
  const bytes = c.memoryBytes;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    return `container "${c.name}": memoryBytes is not a byte count`;
  }
  return undefined;
}

function podProblem(p: unknown): string | undefined {
  if (!isRecord(p)) return 'pod entry is not an object';
  for (const key of ['namespace', 'name', 'uid'] as const) {
    if (typeof p[key] !== 'string' || p[key] === '') return `pod entry without ${key}`;
  }
  if (!Array.isArray(p.containers)) return `pod "${p.namespace}/${p.name}": containers missing`;
  for (const c of p.containers) {
    const problem = containerProblem(c);
    if (problem) return `pod "${p.namespace}/${p.name}": ${problem}`;
  }
  return undefined;
}

/**
 * Validates raw bytes/text as a {@link MetricsMessage}: JSON, schema version, field types,
 * percentage ranges, and (when `subjectNode` is given) that the message is about the node of its
 * subject. Never throws.
 */
export function parseMetricsMessage(data: Uint8Array | string, subjectNode?: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  if (raw.schemaVersion !== METRICS_SCHEMA_VERSION) {
    return { ok: false, reason: `unsupported schemaVersion ${String(raw.schemaVersion)}` };
  }
  if (typeof raw.node !== 'string' || !DNS_NAME.test(raw.node)) {
    return { ok: false, reason: 'node is not a node name' };
  }
  if (subjectNode !== undefined && raw.node !== subjectNode) {
    return { ok: false, reason: `node "${raw.node}" published on the subject of "${subjectNode}"` };
  }
  if (typeof raw.time !== 'string' || Number.isNaN(Date.parse(raw.time))) {
    return { ok: false, reason: 'time is not a timestamp' };
  }
  const interval = raw.intervalMs;
  if (typeof interval !== 'number' || !Number.isSafeInteger(interval) || interval <= 0) {
    return { ok: false, reason: 'intervalMs is not a positive integer' };
  }
  const n = raw.nodeMetrics;
  if (!isRecord(n) || !optionalPercent(n.cpuPercent) || !isPercent(n.memoryPercent)) {
    return { ok: false, reason: 'node metrics missing or out of range' };
  }
  if (!Array.isArray(raw.pods)) return { ok: false, reason: 'pods is not a list' };
  for (const p of raw.pods) {
    const problem = podProblem(p);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, message: raw as unknown as MetricsMessage };
}
