/**
 * `continuum install-restore`: the init container of the restore installer DaemonSet
 * (installer.ts). It puts continuum's runc wrapper on the node, in the host directory the
 * containerd or CRI-O handler of the RuntimeClass names (`/opt/continuum` by default):
 *
 *   continuum-runc          the wrapper (bin/continuum-runc), the handler's runtime binary
 *   continuum               a launcher of the product's Node.js, run through its own dynamic
 *                           loader and libraries, so nothing is needed on the host
 *   runtime-<id>/           that Node.js, its libraries and the app, one per product image
 *   keys/<namespace>.key    the key the operator of <namespace> signs restore tickets with
 *
 * Every file is written beside its final name and renamed into place: a container start that
 * runs the wrapper meanwhile sees the old file or the new one, never half of one. CRIU itself is
 * the node's (runc restore runs `criu` from the runtime's PATH), as for checkpoints.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { validIssuer } from './ticket.ts';

const help = `Usage: continuum install-restore --to DIR --host-dir DIR --issuer NAMESPACE --key FILE [--from DIR]

Installs continuum's runc wrapper on this node (the restore installer DaemonSet runs it).

Flags:
  --to DIR        where the node's host directory is mounted in this container
  --host-dir DIR  the same directory as the node sees it (what the launcher names)
  --issuer NS     the operator's namespace (names its key file)
  --key FILE      the restore key (a mounted Secret)
  --from DIR      root of the product image's files (default /)
  -h, --help      this help

Exit codes: 0 installed, 1 a copy failed, 2 bad flags.`;

/** Writes `data` to `path` through a temporary name and a rename. */
function writeAtomically(path: string, data: string | Buffer, mode: number): void {
  const partial = `${path}.partial-${process.pid}`;
  writeFileSync(partial, data, { mode });
  chmodSync(partial, mode);
  renameSync(partial, path);
}

/** The dynamic loader of the image's Node.js, relative to the image root. */
function loaderOf(from: string): string {
  for (const dir of ['lib64', 'lib']) {
    const found = existsSync(join(from, dir))
      ? readdirSync(join(from, dir)).find((f) => /^ld-linux.*\.so/.test(f))
      : undefined;
    if (found) return join(dir, found);
  }
  throw new Error(`no dynamic loader (ld-linux*) under ${from}/lib64 or ${from}/lib`);
}

/** Library directories of the image (relative), in the loader's search order. */
function libraryDirs(from: string): string[] {
  const dirs: string[] = [];
  for (const base of ['lib', 'usr/lib', 'lib64']) {
    if (!existsSync(join(from, base))) continue;
    for (const entry of readdirSync(join(from, base), { withFileTypes: true }))
      if (entry.isDirectory() && entry.name.endsWith('-linux-gnu'))
        dirs.push(join(base, entry.name));
    dirs.push(base);
  }
  return dirs;
}

export function installRestore(o: {
  from: string;
  to: string;
  hostDir: string;
  issuer: string;
  key: Buffer;
}): string {
  const node = join(o.from, 'usr/local/bin/node');
  const app = join(o.from, 'app');
  const id = createHash('sha256')
    .update(readFileSync(join(app, 'package.json')))
    .update(readFileSync(join(app, 'dist/reconcilers/cli.js')))
    .digest('hex')
    .slice(0, 12);
  const runtime = `runtime-${id}`;
  const loader = loaderOf(o.from);
  const libs = libraryDirs(o.from);
  if (!existsSync(join(o.to, runtime, '.complete'))) {
    const partial = join(o.to, `.${runtime}-${process.pid}`);
    rmSync(partial, { recursive: true, force: true });
    for (const dir of new Set([...libs, dirname(loader)]))
      cpSync(join(o.from, dir), join(partial, dir), { recursive: true, dereference: false });
    cpSync(node, join(partial, 'node'));
    cpSync(app, join(partial, 'app'), { recursive: true });
    writeFileSync(join(partial, '.complete'), '');
    try {
      renameSync(partial, join(o.to, runtime));
    } catch (err) {
      // another installer completed the same runtime first (it may be in use: never replaced)
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(o.to, runtime, '.complete'))) throw err;
    }
  }
  const r = join(o.hostDir, runtime);
  writeAtomically(
    join(o.to, 'continuum'),
    [
      '#!/bin/sh',
      '# continuum on the host, for bin/continuum-runc (written by continuum install-restore)',
      `r=${r}`,
      `exec "$r/${loader}" --library-path "${libs.map((l) => `$r/${l}`).join(':')}" "$r/node" "$r/app/bin/continuum.js" "$@"`,
      '',
    ].join('\n'),
    0o755,
  );
  writeAtomically(
    join(o.to, 'continuum-runc'),
    readFileSync(join(app, 'bin/continuum-runc')),
    0o755,
  );
  mkdirSync(join(o.to, 'keys'), { recursive: true, mode: 0o700 });
  writeAtomically(join(o.to, 'keys', `${o.issuer}.key`), o.key, 0o600);
  return runtime;
}

export const command: Command = {
  run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          to: { type: 'string' },
          'host-dir': { type: 'string' },
          issuer: { type: 'string' },
          key: { type: 'string' },
          from: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      console.error(`continuum install-restore: ${(err as Error).message}\n\n${help}`);
      return Promise.resolve(2);
    }
    if (values.help) {
      console.log(help);
      return Promise.resolve(0);
    }
    const { to, issuer } = values;
    const hostDir = values['host-dir'];
    if (!to || !hostDir || !values.key || !validIssuer(issuer)) {
      console.error(
        `continuum install-restore: --to, --host-dir, --key and a valid --issuer are required\n\n${help}`,
      );
      return Promise.resolve(2);
    }
    try {
      const key = readFileSync(values.key);
      if (key.length < 32) throw new Error(`the key in ${values.key} is shorter than 32 bytes`);
      const runtime = installRestore({ from: values.from ?? '/', to, hostDir, issuer, key });
      console.log(`installed continuum-runc in ${hostDir} (${runtime}, key of ${issuer})`);
      return Promise.resolve(0);
    } catch (err) {
      console.error(`continuum install-restore: ${(err as Error).message}`);
      return Promise.resolve(1);
    }
  },
};
