/**
 * GIVEN the Argo CD Application in charts/continuum/README.md, THEN it points at the chart and
 * sets only values the chart has.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { parse } from 'yaml';
import { defaultValues } from '../../cdk8s/values.ts';

const README = new URL('../../charts/continuum/README.md', import.meta.url);

/** Dotted paths of the leaves of a values object. */
function leaves(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.entries(value).flatMap(([key, child]) =>
    leaves(child, prefix ? `${prefix}.${key}` : key),
  );
}

test('the example Application installs charts/continuum with known values', (t) => {
  const block = /```yaml\n([\s\S]*?)```/.exec(readFileSync(README, 'utf8'))?.[1];
  t.truthy(block, 'a yaml block in the chart README');
  const app = parse(block!);
  t.is(app.kind, 'Application');
  t.is(app.spec.source.path, 'charts/continuum');
  t.is(app.spec.destination.namespace, defaultValues.namespace);
  const known = new Set(leaves(defaultValues));
  for (const path of leaves(app.spec.source.helm.valuesObject)) t.true(known.has(path), path);
});
