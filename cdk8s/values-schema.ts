/**
 * values.schema.json: Helm validates values against it on install, upgrade, lint and template, so
 * a misspelt key (`replica: 3`) or a wrong type fails before anything reaches the cluster.
 * Derived from the defaults in values.ts; enums and minimums are added here.
 */
import { defaultValues } from './values.ts';

interface JsonSchema {
  type: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: string[];
  minimum?: number;
}

/** Checks beyond the type of the default, and the shape of maps and lists left empty there. */
const constraints: Record<string, JsonSchema> = {
  'image.pullPolicy': { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] },
  replicas: { type: 'integer', minimum: 0 },
  jobTtlSeconds: { type: 'integer', minimum: 0 },
  logLevel: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] },
  nodeSelector: { type: 'object', additionalProperties: { type: 'string' } },
  tolerations: { type: 'array', items: { type: 'object' } },
};

function schemaOf(value: unknown, path: string): JsonSchema {
  const constraint = constraints[path];
  if (constraint) return constraint;
  if (value !== null && typeof value === 'object') {
    const properties = Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        schemaOf(child, path ? `${path}.${key}` : key),
      ]),
    );
    return { type: 'object', properties, additionalProperties: false };
  }
  const type = typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
  return { type };
}

export function valuesSchemaJson(): string {
  const schema = {
    $schema: 'https://json-schema.org/draft-07/schema#',
    ...schemaOf(defaultValues, ''),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
