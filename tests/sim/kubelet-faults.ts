/**
 * Fault injection of the SIMULATED kubelet, from pod annotations read at request time:
 * `sim.continuum.dev/checkpoint-fault` and `sim.continuum.dev/checkpoint-size`.
 */
import type { V1Pod } from '@kubernetes/client-node';

export const FAULT_ANNOTATION = 'sim.continuum.dev/checkpoint-fault';
export const SIZE_ANNOTATION = 'sim.continuum.dev/checkpoint-size';

export type Fault =
  { kind: 'none' } | { kind: 'error' } | { kind: 'delay'; ms: number } | { kind: 'timeout' };

/** `"500"` → error, `"delay=5s"`/`"delay=300ms"` → delay, `"timeout"` → timeout; else none. */
export function parseFault(value: string | undefined): Fault {
  const v = value?.trim();
  if (!v) return { kind: 'none' };
  if (v === '500') return { kind: 'error' };
  if (v === 'timeout') return { kind: 'timeout' };
  const delay = /^delay=(\d+(?:\.\d+)?)(ms|s)$/.exec(v);
  if (delay) return { kind: 'delay', ms: Number(delay[1]) * (delay[2] === 's' ? 1000 : 1) };
  throw new Error(`invalid ${FAULT_ANNOTATION} "${v}": expected 500, delay=<n>s|ms or timeout`);
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

/** Parses a Kubernetes-style byte quantity: `1Mi`, `512Ki`, `10M`, `2048`. */
export function parseSize(value: string): number {
  const m = /^(\d+)(k|M|G|Ki|Mi|Gi)?$/.exec(value.trim());
  if (!m) throw new Error(`invalid size "${value}": expected e.g. 1Mi, 512Ki, 10M or 2048`);
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

export function faultOf(pod: V1Pod): Fault {
  return parseFault(pod.metadata?.annotations?.[FAULT_ANNOTATION]);
}

export function sizeOf(pod: V1Pod): number | undefined {
  const v = pod.metadata?.annotations?.[SIZE_ANNOTATION];
  return v === undefined ? undefined : parseSize(v);
}
