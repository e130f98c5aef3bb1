/** Schemas shared by the three resources: selectors, references, conditions, durations, targets. */
import { DURATION_PATTERN } from './duration.ts';
import {
  array,
  integer,
  LABEL_KEY,
  LABEL_VALUE,
  object,
  objectName,
  oneOf,
  RFC3339,
  string,
  type Schema,
} from './schema.ts';
import {
  LAYER_LABEL,
  type Condition,
  type LabelSelector,
  type LocalObjectReference,
  type MigrationTarget,
} from './types.ts';

/**
 * A duration string (`500ms`, `30s`, `5m`, `1h30m`) between min and max, both inclusive.
 * The pattern gives the message for a malformed value; the CEL rule the one for a value out of range.
 */
export function duration(
  description: string,
  defaultValue: string,
  min: string,
  max: string,
): Schema {
  return string(`${description} A duration such as 500ms, 30s, 5m or 1h30m (${min} to ${max}).`, {
    default: defaultValue,
    maxLength: 32,
    pattern: DURATION_PATTERN,
    'x-kubernetes-validations': [
      {
        // a malformed value is reported by the pattern alone
        rule: `!self.matches(r'${DURATION_PATTERN}') || (duration(self) >= duration('${min}') && duration(self) <= duration('${max}'))`,
        message: `must be between ${min} and ${max}`,
      },
    ],
  });
}

/** A label map matched by equality, as in `pod.spec.nodeSelector`. */
export function labelMap(description: string, extra: Partial<Schema> = {}): Schema {
  return {
    type: 'object',
    description,
    additionalProperties: string('Label value.', { maxLength: 63, pattern: LABEL_VALUE }),
    maxProperties: 16,
    'x-kubernetes-validations': [
      {
        rule: `self.all(k, size(k) <= 317 && k.matches(r'${LABEL_KEY}'))`,
        message: 'keys must be valid label keys ([prefix/]name)',
      },
    ],
    ...extra,
  };
}

export function labelSelector(description: string): Schema {
  return object<LabelSelector>(
    `${description} Empty matches everything. A standard Kubernetes label selector.`,
    {
      matchLabels: labelMap('Labels that must all be present with these values.'),
      matchExpressions: array(
        'Set-based requirements; all must hold.',
        object<NonNullable<LabelSelector['matchExpressions']>[number]>(
          'A requirement on one label.',
          {
            key: string('The label key.', { minLength: 1, maxLength: 317, pattern: LABEL_KEY }),
            operator: oneOf('How the label relates to the values.', [
              'In',
              'NotIn',
              'Exists',
              'DoesNotExist',
            ]),
            values: array(
              'Values for In and NotIn; absent for Exists and DoesNotExist.',
              string('A label value.', { maxLength: 63, pattern: LABEL_VALUE }),
              { maxItems: 64, 'x-kubernetes-list-type': 'atomic' },
            ),
          },
          {
            required: ['key', 'operator'],
            'x-kubernetes-validations': [
              {
                rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
                message:
                  'values must be non-empty for In and NotIn, and absent for Exists and DoesNotExist',
                fieldPath: '.values',
              },
            ],
          },
        ),
        { maxItems: 16, 'x-kubernetes-list-type': 'atomic' },
      ),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  );
}

/** spec.ttlSecondsAfterFinished of Migration, and of the Migrations a policy creates. */
export function ttlSecondsAfterFinished(description: string): Schema {
  return integer(description, { minimum: 0, maximum: 31_536_000 });
}

/**
 * spec.maxUnavailablePerOwner of MigrationPolicy (with its default), and of the Migrations a
 * policy creates (absent: 1).
 */
export function maxUnavailablePerOwner(description: string, defaultValue?: number): Schema {
  return integer(description, {
    minimum: 1,
    maximum: 100,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });
}

export function secretRef(description: string): Schema {
  return object<LocalObjectReference>(
    description,
    { name: objectName('Name of the Secret.') },
    { required: ['name'], 'x-kubernetes-map-type': 'atomic' },
  );
}

/** Where a workload goes; exactly one of nodeName and nodeSelector, never an edge node. */
export function target(description: string): Schema {
  return object<MigrationTarget>(
    `${description} Set exactly one of nodeName or nodeSelector.`,
    {
      nodeName: objectName('Name of the node to restore on.'),
      nodeSelector: labelMap(
        `Labels of the nodes to restore on (like pod.spec.nodeSelector), e.g. {"${LAYER_LABEL}": "cloud"}.`,
        { minProperties: 1 },
      ),
    },
    {
      'x-kubernetes-validations': [
        {
          rule: 'has(self.nodeName) != has(self.nodeSelector)',
          message: 'set exactly one of nodeName or nodeSelector',
        },
        {
          rule: `!has(self.nodeSelector) || !('${LAYER_LABEL}' in self.nodeSelector) || self.nodeSelector['${LAYER_LABEL}'] != 'edge'`,
          message: `nodeSelector must not select edge nodes (${LAYER_LABEL}=edge)`,
          fieldPath: '.nodeSelector',
        },
      ],
    },
  );
}

export function conditions(description: string): Schema {
  return array(
    description,
    object<Condition>(
      'An observation of one aspect of the object (metav1.Condition).',
      {
        type: string('Type of the condition: Ready or Synced.', { maxLength: 316 }),
        status: oneOf('Whether the condition holds.', ['True', 'False', 'Unknown']),
        reason: string('CamelCase reason of the last transition.', {
          minLength: 1,
          maxLength: 1024,
          pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
        }),
        message: string('Human-readable detail of the last transition.', { maxLength: 32768 }),
        lastTransitionTime: string('When the status last changed.', RFC3339),
        observedGeneration: integer('The metadata.generation the condition was computed from.', {
          minimum: 0,
        }),
      },
      { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
    ),
    { maxItems: 8, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  );
}

export const observedGeneration = integer('The metadata.generation the status was written for.', {
  minimum: 0,
});

/** apiVersion, kind and metadata, as every top-level schema has them. */
export const typeMeta = {
  apiVersion: string('Versioned schema of this object: continuum.dev/v1alpha1.'),
  kind: string('Kind of this object.'),
  metadata: { type: 'object' } as Schema,
};
