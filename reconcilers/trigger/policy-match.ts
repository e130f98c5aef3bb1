/**
 * Which MigrationPolicy covers a pod. A policy covers a pod when its node, namespace and pod
 * selectors all match (an absent node selector means every edge node, `continuum.dev/layer=edge`).
 * When several cover it, the most specific wins: specificity is the number of selector terms
 * (node selector labels + matchLabels entries + matchExpressions of the namespace and pod
 * selectors; the implicit edge-layer default counts 0). Ties go to the first name in
 * alphabetical order. Pure.
 */
import { LAYER_LABEL, type LabelSelector, type MigrationPolicy } from '../api/types.ts';

type Labels = Record<string, string> | undefined;

/** Every key of `wanted` present in `labels` with the same value (as `pod.spec.nodeSelector`). */
export function matchesLabelMap(wanted: Record<string, string>, labels: Labels): boolean {
  return Object.entries(wanted).every(([k, v]) => labels?.[k] === v);
}

/** `metav1.LabelSelector` semantics; an absent or empty selector matches everything. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  if (!matchesLabelMap(selector.matchLabels ?? {}, labels)) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = labels !== undefined && key in labels;
    switch (operator) {
      case 'In':
        return has && values.includes(labels[key]!);
      case 'NotIn':
        return !has || !values.includes(labels[key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
    return false;
  });
}

function selectorTerms(s: LabelSelector | undefined): number {
  return Object.keys(s?.matchLabels ?? {}).length + (s?.matchExpressions?.length ?? 0);
}

/** The number of selector terms of a policy (see the module comment). */
export function specificity(policy: MigrationPolicy): number {
  const s = policy.spec.selector ?? {};
  return (
    Object.keys(s.nodeSelector ?? {}).length +
    selectorTerms(s.namespaceSelector) +
    selectorTerms(s.podSelector)
  );
}

export interface Subject {
  podLabels: Labels;
  namespaceLabels: Labels;
  nodeLabels: Labels;
}

export function covers(policy: MigrationPolicy, subject: Subject): boolean {
  const s = policy.spec.selector ?? {};
  const nodeSelector = s.nodeSelector ?? { [LAYER_LABEL]: 'edge' };
  return (
    matchesLabelMap(nodeSelector, subject.nodeLabels) &&
    matchesSelector(s.namespaceSelector, subject.namespaceLabels) &&
    matchesSelector(s.podSelector, subject.podLabels)
  );
}

function compareNames(a = '', b = ''): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders policies most specific first, then by name: the first covering one wins. */
export function byPrecedence(policies: MigrationPolicy[]): MigrationPolicy[] {
  return [...policies].sort(
    (a, b) => specificity(b) - specificity(a) || compareNames(a.metadata.name, b.metadata.name),
  );
}

/** The policy that governs the subject, or undefined. `ordered` comes from {@link byPrecedence}. */
export function governingPolicy(
  ordered: MigrationPolicy[],
  subject: Subject,
): MigrationPolicy | undefined {
  return ordered.find((p) => covers(p, subject));
}
