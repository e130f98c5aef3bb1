/**
 * The three CustomResourceDefinitions, from the schemas in reconcilers/api. Plain ApiObjects:
 * the schema objects already use the Kubernetes spelling (`x-kubernetes-validations`).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { edgeNodeSchema } from '../reconcilers/api/edge-node-schema.ts';
import { migrationPolicySchema } from '../reconcilers/api/migration-policy-schema.ts';
import { migrationSchema } from '../reconcilers/api/migration-schema.ts';
import type { Schema } from '../reconcilers/api/schema.ts';
import {
  EDGE_NODE_KIND,
  EDGE_NODE_PLURAL,
  GROUP,
  MIGRATION_KIND,
  MIGRATION_PLURAL,
  MIGRATION_POLICY_KIND,
  MIGRATION_POLICY_PLURAL,
  VERSION,
} from '../reconcilers/api/types.ts';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CrdProps {
  kind: string;
  plural: string;
  shortName: string;
  scope: 'Namespaced' | 'Cluster';
  schema: Schema;
  columns: PrinterColumn[];
}

const age: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

export const crds: CrdProps[] = [
  {
    kind: MIGRATION_KIND,
    plural: MIGRATION_PLURAL,
    shortName: 'mig',
    scope: 'Namespaced',
    schema: migrationSchema,
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Current phase.' },
      { name: 'Pod', type: 'string', jsonPath: '.spec.podName', description: 'Pod being moved.' },
      {
        name: 'Source',
        type: 'string',
        jsonPath: '.status.sourceNode',
        description: 'Source node.',
      },
      {
        name: 'Target',
        type: 'string',
        jsonPath: '.status.targetNode',
        description: 'Target node.',
      },
      {
        name: 'Restore',
        type: 'string',
        jsonPath: '.spec.restorePolicy',
        description: 'Restore policy: checkpoint or restart.',
      },
      age,
      {
        name: 'Duration',
        type: 'string',
        jsonPath: '.status.duration',
        description: 'Time from creation to Done or Failed, written when the migration ends.',
      },
      {
        name: 'Reason',
        type: 'string',
        jsonPath: '.status.failureReason',
        description: 'Why the migration failed.',
        priority: 1,
      },
      {
        name: 'Image',
        type: 'string',
        jsonPath: '.status.image',
        description: 'Pushed checkpoint image.',
        priority: 1,
      },
    ],
  },
  {
    kind: MIGRATION_POLICY_KIND,
    plural: MIGRATION_POLICY_PLURAL,
    shortName: 'migpol',
    scope: 'Cluster',
    schema: migrationPolicySchema,
    columns: [
      {
        name: 'Restore',
        type: 'string',
        jsonPath: '.spec.restorePolicy',
        description: 'Restore policy of the Migrations it creates.',
      },
      {
        name: 'Cooldown',
        type: 'string',
        jsonPath: '.spec.cooldown',
        description: 'Minimum time between two Migrations of one pod.',
      },
      {
        name: 'Ready',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].status',
        description: 'Whether the trigger evaluates this policy.',
      },
      {
        name: 'Migrations',
        type: 'integer',
        jsonPath: '.status.migrationsCreated',
        description: 'Migrations this policy created that still exist.',
      },
      {
        name: 'Last triggered',
        type: 'date',
        jsonPath: '.status.lastTriggered',
        description: 'When this policy last created a Migration.',
      },
      age,
    ],
  },
  {
    kind: EDGE_NODE_KIND,
    plural: EDGE_NODE_PLURAL,
    shortName: 'edge',
    scope: 'Cluster',
    schema: edgeNodeSchema,
    columns: [
      {
        name: 'Nodes',
        type: 'integer',
        jsonPath: '.status.matchedNodes',
        description: 'Nodes matched.',
      },
      {
        name: 'Agents',
        type: 'integer',
        jsonPath: '.status.agentsReady',
        description: 'Agents ready.',
      },
      {
        name: 'Restore-Ready',
        type: 'integer',
        jsonPath: '.status.restoreWrappersReady',
        description: 'Cloud nodes with the restore wrapper ready.',
        priority: 1,
      },
      {
        name: 'Interval',
        type: 'string',
        jsonPath: '.spec.monitoring.interval',
        description: 'Sampling interval.',
      },
      age,
    ],
  },
];

/** File name of a CRD in crds/ and in the chart's crds/. */
export function crdFileName(props: CrdProps): string {
  return `${GROUP}_${props.plural}.yaml`;
}

/** A chart holding one CRD. */
export function crdChart(scope: Construct, props: CrdProps): Chart {
  const chart = new Chart(scope, `crd-${props.plural}`);
  new ApiObject(chart, 'crd', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${props.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'continuum' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: props.kind,
        listKind: `${props.kind}List`,
        plural: props.plural,
        singular: props.kind.toLowerCase(),
        shortNames: [props.shortName],
        categories: ['continuum'],
      },
      scope: props.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: props.columns,
          schema: { openAPIV3Schema: props.schema },
        },
      ],
    },
  });
  return chart;
}
