/**
 * Argo CD health checks of the three resources, in Argo CD's `resource.customizations` format:
 * an argocd-cm patch shipped with the chart (charts/continuum/argocd-health.yaml), made from
 * the Lua scripts beside this file.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import {
  EDGE_NODE_KIND,
  GROUP,
  MIGRATION_KIND,
  MIGRATION_POLICY_KIND,
} from '../reconcilers/api/types.ts';

const lua = (name: string) =>
  readFileSync(new URL(`./argocd/${name}.lua`, import.meta.url), 'utf8');

/** The health script of each kind, as Argo CD runs it. */
export function healthScripts(): Record<string, string> {
  return {
    [MIGRATION_KIND]: lua('migration'),
    [MIGRATION_POLICY_KIND]: `local unreported = "Healthy"\n${lua('conditions')}`,
    [EDGE_NODE_KIND]: `local unreported = "Progressing"\n${lua('conditions')}`,
  };
}

/** `kubectl -n argocd patch configmap argocd-cm --patch-file argocd-health.yaml` */
export function argocdHealthPatch(): string {
  const data = Object.fromEntries(
    Object.entries(healthScripts()).map(([kind, script]) => [
      `resource.customizations.health.${GROUP}_${kind}`,
      script,
    ]),
  );
  return (
    '# Argo CD health checks for continuum resources. Apply with:\n' +
    '#   kubectl -n argocd patch configmap argocd-cm --patch-file argocd-health.yaml\n' +
    stringify({ data }, { version: '1.1', lineWidth: 0 })
  );
}
