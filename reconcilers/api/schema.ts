/**
 * A typed subset of the structural OpenAPI v3 schema a CustomResourceDefinition carries, and the
 * builders the three resource schemas are written with. {@link object} is keyed by the
 * TypeScript interface it describes, so a field added to types.ts without a schema (or a schema
 * for a field that does not exist) is a compile error: the types and the CRDs cannot drift.
 */

/** A CEL rule (`x-kubernetes-validations`). Messages name the field they are about. */
export interface Rule {
  rule: string;
  message: string;
  /** JSON path (relative to the schema node) the error is reported at, e.g. `.nodeName`. */
  fieldPath?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema;
  items?: Schema;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-validations'?: Rule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

type Extra = Omit<Schema, 'type' | 'description' | 'properties' | 'required'>;

/** One schema per field of T, no more, no fewer. */
export type PropertiesOf<T> = { [K in keyof T]-?: Schema };

/** An object schema whose properties are exactly the fields of T. */
export function object<T>(
  description: string,
  properties: PropertiesOf<T>,
  options: Extra & { required?: (keyof T & string)[] } = {},
): Schema {
  const { required, ...extra } = options;
  return {
    type: 'object',
    description,
    properties: properties as Record<string, Schema>,
    ...(required && required.length > 0 ? { required } : {}),
    ...extra,
  };
}

export function string(description: string, extra: Extra = {}): Schema {
  return { type: 'string', description, ...extra };
}

export function integer(description: string, extra: Extra = {}): Schema {
  return { type: 'integer', description, format: 'int64', ...extra };
}

export function boolean(description: string): Schema {
  return { type: 'boolean', description };
}

export function array(description: string, items: Schema, extra: Extra = {}): Schema {
  return { type: 'array', description, items, ...extra };
}

/** A string restricted to the given values. */
export function oneOf(description: string, values: readonly string[], extra: Extra = {}): Schema {
  return string(description, { enum: [...values], ...extra });
}

/** Patterns and limits of Kubernetes names. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const LABEL_KEY =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
export const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';
/** An RFC3339 timestamp as the API server writes it. */
export const RFC3339 = { format: 'date-time', maxLength: 64 } as const;

/** A name of a Kubernetes object (DNS subdomain). */
export function objectName(description: string): Schema {
  return string(description, { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN });
}
