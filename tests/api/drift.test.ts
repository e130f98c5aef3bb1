/**
 * GIVEN the API types and the cdk8s app, WHEN synthesised now, THEN crds/ and charts/continuum are
 * exactly the committed files (no file changed, missing or extra). Pure: no cluster needed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { GENERATED_DIRS, synthesize } from '../../cdk8s/main.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HINT = 'run `npm run synth` and commit crds/ and charts/';

function filesUnder(dir: string): string[] {
  const abs = join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    return statSync(path).isDirectory() ? filesUnder(relative(ROOT, path)) : [relative(ROOT, path)];
  });
}

test('committed crds/ and charts/ are what `npm run synth` produces', (t) => {
  const generated = synthesize();
  const stale = [...generated].filter(([path, text]) => {
    try {
      return readFileSync(join(ROOT, path), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  t.deepEqual(
    stale.map(([path]) => path),
    [],
    `generated files differ from the committed ones: ${HINT}`,
  );
  const extra = GENERATED_DIRS.flatMap(filesUnder).filter((path) => !generated.has(path));
  t.deepEqual(extra, [], `files no longer generated are still committed: ${HINT}`);
});

test('every CRD in crds/ is also in the chart, byte for byte', (t) => {
  const generated = synthesize();
  const crds = [...generated.keys()].filter((path) => path.startsWith('crds/'));
  t.is(crds.length, 3);
  for (const path of crds) {
    t.is(generated.get(join('charts/continuum', path)), generated.get(path), path);
  }
});
