/**
 * Extraction under a root (tar/extract.ts) refuses every way out of it: absolute names, "..",
 * writing through a symlink (from the archive or already in the root), hard links to what is
 * not a file under the root, relative symlinks that climb above it, and device-like entries.
 * Nothing is written outside the root.
 */
import test from 'ava';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractTar, removeUnder, UnsafeEntryError } from '../../reconcilers/tar/extract.ts';
import { TarError } from '../../reconcilers/tar/reader.ts';
import { tarOf, type Entry } from './fixtures.ts';

function scratch(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-extract-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'rootfs');
  const outside = join(dir, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  return { root, outside };
}

async function* chunks(data: Buffer, size = 700) {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

const rootfsDiff = { links: true, preserveOwners: true };

test('a rootfs diff lands under the root: files, directories, symlinks and hard links', async (t) => {
  const { root } = scratch(t);
  const entries: Entry[] = [
    { name: 'data/', type: 'dir' },
    { name: 'data/state.txt', data: 'x'.repeat(3000) },
    { name: './etc/motd', data: 'hello' },
    { name: 'etc/link', type: 'symlink', linkName: '/etc/motd' },
    { name: 'etc/up', type: 'symlink', linkName: '../data/state.txt' },
    { name: 'data/hard', type: 'hardlink', linkName: 'data/state.txt' },
  ];
  t.is(await extractTar(chunks(tarOf(entries)), root, rootfsDiff), 6);
  t.is(readFileSync(join(root, 'data/state.txt'), 'utf8'), 'x'.repeat(3000));
  t.is(readFileSync(join(root, 'etc/motd'), 'utf8'), 'hello');
  t.is(readlinkSync(join(root, 'etc/link')), '/etc/motd');
  t.is(lstatSync(join(root, 'data/hard')).nlink, 2);
});

const hostile: Array<[string, Entry[], RegExp]> = [
  ['an absolute name', [{ name: '/escape', data: 'x' }], /absolute path/],
  ['a name that climbs', [{ name: 'a/../../escape', data: 'x' }], /climbs out/],
  [
    'an entry through a symlink it brought',
    [
      { name: 'etc', type: 'symlink', linkName: '/tmp' },
      { name: 'etc/passwd', data: 'x' },
    ],
    /goes through the symlink/,
  ],
  [
    'a relative symlink above the root',
    [{ name: 'a/up', type: 'symlink', linkName: '../../x' }],
    /points out of the root/,
  ],
  [
    'a hard link out of the root',
    [{ name: 'h', type: 'hardlink', linkName: '../outside/f' }],
    /climbs out/,
  ],
  ['a FIFO', [{ name: 'pipe', type: 'fifo' }], /device, FIFO or socket/],
];
for (const [what, entries, reason] of hostile) {
  test(`refused: ${what}, nothing written outside`, async (t) => {
    const { root, outside } = scratch(t);
    const err = await t.throwsAsync(extractTar(chunks(tarOf(entries)), root, rootfsDiff), {
      instanceOf: UnsafeEntryError,
    });
    t.regex(err!.message, reason);
    t.deepEqual(readdirSync(outside), []);
    t.false(existsSync(join(root, '..', 'escape')));
  });
}

test('a symlink already in the root (from the image) is never written through', async (t) => {
  const { root, outside } = scratch(t);
  symlinkSync(outside, join(root, 'etc'));
  await t.throwsAsync(
    extractTar(chunks(tarOf([{ name: 'etc/passwd', data: 'x' }])), root, rootfsDiff),
    {
      message: /goes through the symlink "\/etc"/,
    },
  );
  t.deepEqual(readdirSync(outside), []);
  // a file entry replaces a symlink of its own name instead of following it
  symlinkSync(join(outside, 'target'), join(root, 'motd'));
  await extractTar(chunks(tarOf([{ name: 'motd', data: 'mine' }])), root, rootfsDiff);
  t.false(lstatSync(join(root, 'motd')).isSymbolicLink());
  t.deepEqual(readdirSync(outside), []);
});

test('a checkpoint archive may hold files and directories only', async (t) => {
  const { root } = scratch(t);
  await t.throwsAsync(
    extractTar(chunks(tarOf([{ name: 'l', type: 'symlink', linkName: 'x' }])), root, {
      links: false,
      preserveOwners: false,
    }),
    { message: /is a symlink/ },
  );
});

test('a truncated or corrupt archive is a TarError', async (t) => {
  const { root } = scratch(t);
  const archive = tarOf([{ name: 'big', data: 'y'.repeat(5000) }]);
  await t.throwsAsync(extractTar(chunks(archive.subarray(0, 2048)), root, rootfsDiff), {
    instanceOf: TarError,
    message: /truncated/,
  });
  const corrupt = Buffer.from(archive);
  corrupt[10] = 0x41;
  await t.throwsAsync(extractTar(chunks(corrupt), root, rootfsDiff), { instanceOf: TarError });
});

test('deleted.files removes under the root only, never through a symlink', (t) => {
  const { root, outside } = scratch(t);
  mkdirSync(join(root, 'var'));
  symlinkSync(outside, join(root, 'link'));
  mkdirSync(join(outside, 'keep'));
  removeUnder(root, ['/var', 'missing/file']);
  t.false(existsSync(join(root, 'var')));
  t.false(existsSync(join(root, 'missing')));
  t.throws(() => removeUnder(root, ['link/keep']), { message: /goes through the symlink/ });
  t.throws(() => removeUnder(root, ['../outside/keep']), { message: /climbs out/ });
  t.true(existsSync(join(outside, 'keep')));
});
