/**
 * `continuum cleanup`: which archives of a checkpoint directory belong to a Migration (pure),
 * and the command run as a process on a directory playing the node's: GIVEN archives of the
 * pod's containers inside and outside the window, of other pods and files that only look alike,
 * THEN exactly the window's archives not kept, and the named ones, are deleted.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { archiveTime, selectArchives } from '../../reconcilers/cleanup/archives.ts';

const bin = new URL('../../bin/continuum.js', import.meta.url).pathname;
const run = promisify(execFile);

const FILES = [
  'checkpoint-web_shop-app-2026-11-28T08:00:00Z.tar', // before the window
  'checkpoint-web_shop-app-2026-11-28T08:00:05Z.tar', // lost call
  'checkpoint-web_shop-app-2026-11-28T08:00:07Z.tar', // recorded
  'checkpoint-web_shop-side-car-2026-11-28T09:00:06+01:00.tar', // another offset, in
  'checkpoint-web_shop-app-2026-11-28T08:00:30Z.tar', // after the window
  'checkpoint-web-2_shop-app-2026-11-28T08:00:05Z.tar', // another pod
  'checkpoint-web_shop-app-b-2026-11-28T08:00:05Z.tar', // container "app-b", not selected
  'checkpoint-web_shop-app-2026-11-28T08:00:05Z.tar.partial',
];
const selector = {
  pod: 'web',
  namespace: 'shop',
  containers: ['app', 'side-car'],
  since: new Date('2026-11-28T08:00:05.600Z'), // compared in whole seconds, as the kubelet names
  until: new Date('2026-11-28T08:00:08.000Z'),
};

test('archiveTime reads the kubelet name of one container only', (t) => {
  const stamp = archiveTime(FILES[3]!, 'web', 'shop', 'side-car');
  t.is(stamp?.toISOString(), '2026-11-28T08:00:06.000Z');
  t.is(archiveTime(FILES[6]!, 'web', 'shop', 'app'), undefined);
  t.is(archiveTime(FILES[7]!, 'web', 'shop', 'app'), undefined);
});

test('selectArchives: the pod containers archives requested in the window', (t) => {
  t.deepEqual(selectArchives(FILES, selector), [FILES[1], FILES[2], FILES[3]]);
});

test('continuum cleanup deletes the named archives and the window sweep, keeps what it is told', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cleanup-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of [...FILES, 'checkpoint-other_shop-x-2026-11-28T07:00:00Z.tar'])
    writeFileSync(join(dir, f), 'x');
  for (const f of [FILES[1], FILES[2]]) writeFileSync(join(dir, `${f}.layer.json`), '{}');
  const { stdout } = await run(process.execPath, [
    bin,
    'cleanup',
    ...['--archive', join(dir, 'checkpoint-other_shop-x-2026-11-28T07:00:00Z.tar')],
    ...['--archive', join(dir, 'already-gone.tar')],
    ...['--dir', dir, '--pod', 'web', '--namespace', 'shop'],
    ...['--container', 'app', '--container', 'side-car'],
    ...['--since', selector.since.toISOString(), '--until', selector.until.toISOString()],
    ...['--keep', join(dir, FILES[2]!)],
  ]);
  t.deepEqual(
    readdirSync(dir).sort(),
    [FILES[0], FILES[2], `${FILES[2]}.layer.json`, FILES[4], FILES[5], FILES[6], FILES[7]].sort(),
  );
  t.regex(stdout, /deleted .*08:00:05Z\.tar/);
});

test('continuum cleanup: a missing directory is nothing to sweep; incomplete sweep flags are refused', async (t) => {
  const ok = await run(process.execPath, [
    bin,
    'cleanup',
    ...['--dir', join(tmpdir(), 'no-such-checkpoint-dir'), '--pod', 'web', '--namespace', 'shop'],
    ...['--container', 'app', '--since', '2026-11-28T08:00:00Z', '--until', '2026-11-28T08:01:00Z'],
  ]);
  t.is(ok.stdout, '');
  const bad = await run(process.execPath, [bin, 'cleanup', '--dir', '/tmp']).catch(
    (err: { code: number; stderr: string }) => err,
  );
  t.is((bad as { code: number }).code, 2);
  t.regex((bad as { stderr: string }).stderr, /--dir needs --pod/);
});
