/** Kubernetes resource quantities (`32Mi`, `1G`, `129e6`, `0.5Gi`) as numbers. */

const SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity in base units (bytes for memory); NaN when it is not one. */
export function quantityValue(quantity: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/.exec(
    quantity,
  );
  if (!m) return NaN;
  return Number(m[1]) * (m[2] !== undefined ? 10 ** Number(m[2]) : SUFFIXES[m[3] ?? '']!);
}
