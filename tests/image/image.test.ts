/**
 * GIVEN the product image built without a Docker engine (scripts/build-image.sh, umoci),
 * WHEN runc runs it, THEN `continuum --help` and each command's help work inside it, as the
 * non-root user the Dockerfile sets.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'continuum-image-'));
const layout = join(work, 'layout');
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test.before(() => {
  execFileSync('bash', [join(repo, 'scripts/build-image.sh'), layout, 'test'], { stdio: 'pipe' });
});

/**
 * Runs the image under runc with `args` after the entrypoint (or instead of the whole command
 * line with `replace`); resolves to its standard output.
 */
function runImage(id: string, args: string[], replace = false): string {
  const bundle = join(work, id);
  execFileSync('umoci', ['unpack', '--image', `${layout}:test`, bundle], { stdio: 'pipe' });
  const configFile = join(bundle, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  config.process.args = replace ? args : [...config.process.args, ...args];
  config.process.terminal = false;
  writeFileSync(configFile, JSON.stringify(config));
  const name = `continuum-test-${id}-${process.pid}`;
  try {
    return execFileSync('runc', ['run', '--bundle', bundle, name], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  } finally {
    execFileSync('runc', ['delete', '--force', name], { stdio: 'ignore' });
  }
}

test('the image config runs node on the CLI as a non-root user', (t) => {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const blob = (digest: string) =>
    JSON.parse(readFileSync(join(layout, 'blobs', ...digest.split(':')), 'utf8'));
  const manifest = blob(index.manifests[0].digest);
  const { config } = blob(manifest.config.digest);
  t.deepEqual(config.Entrypoint, ['/usr/local/bin/node', '/app/bin/continuum.js']);
  t.is(config.User, '65532:65532');
});

test('continuum --help runs inside the image', (t) => {
  const out = runImage('help', ['--help']);
  t.regex(out, /Usage: continuum <command>/);
  for (const command of ['operator', 'agent', 'imager', 'cleanup'])
    t.regex(out, new RegExp(`^  ${command} `, 'm'));
});

test('each command answers --help inside the image', (t) => {
  for (const command of ['operator', 'agent', 'imager', 'cleanup']) {
    t.regex(runImage(`help-${command}`, [command, '--help']), /--help|Usage/i, command);
  }
});

test('`continuum` is on the PATH, as the imaging Job calls it', (t) => {
  t.regex(runImage('path', ['continuum', 'imager', '--help'], true), /--help|Usage/i);
});

test('`continuum cleanup` runs as the archive cleanup Jobs call it', (t) => {
  const out = runImage('cleanup', ['continuum', 'cleanup', '--archive', '/tmp/no-such.tar'], true);
  t.is(out, 'deleted /tmp/no-such.tar\n');
});
