/**
 * `continuum cleanup`: deletes a Migration's checkpoint archives from the node it runs on (as
 * a Job pinned there; the product image has no shell to glob with). It deletes the archives
 * named by --archive, and with --dir, every archive in that directory of the pod's containers
 * requested between --since and --until (see archives.ts), except those named by --keep.
 * Deleting what is already gone is success.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { layerRecordPath } from '../imager/layer-record.ts';
import { selectArchives, type ArchiveSelector } from './archives.ts';

const help = `Usage: continuum cleanup [--archive FILE]… [--dir DIR --pod NAME --namespace NS --container NAME… --since TIME --until TIME [--keep FILE]…]

Deletes checkpoint archives of a Migration from this node.

Flags:
  --archive FILE     an archive to delete (repeatable)
  --dir DIR          the kubelet's checkpoint directory to sweep
  --pod NAME         the checkpointed pod
  --namespace NS     its namespace
  --container NAME   a checkpointed container (repeatable)
  --since TIME       RFC 3339: the Migration started checkpointing
  --until TIME       RFC 3339: the Migration stopped checkpointing
  --keep FILE        an archive not to delete, still needed (repeatable)
  -h, --help         this help

Exit codes: 0 done (what was deleted is printed), 1 a deletion failed, 2 bad flags.`;

interface Options {
  archives: string[];
  sweep?: ArchiveSelector & { dir: string; keep: string[] };
}

function parse(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      archive: { type: 'string', multiple: true },
      dir: { type: 'string' },
      pod: { type: 'string' },
      namespace: { type: 'string' },
      container: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      keep: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const archives = values.archive ?? [];
  if (values.dir === undefined) return { archives };
  const { dir, pod, namespace, container, since, until } = values;
  if (!pod || !namespace || !container?.length || !since || !until) {
    throw new Error('--dir needs --pod, --namespace, --container, --since and --until');
  }
  const time = (flag: string, v: string) => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new Error(`--${flag}: not an RFC 3339 time: "${v}"`);
    return d;
  };
  const window = { since: time('since', since), until: time('until', until) };
  const keep = values.keep ?? [];
  return { archives, sweep: { dir, pod, namespace, containers: container, ...window, keep } };
}

/** The archives to delete: those named, and those the sweep selects in its directory. */
async function targets(o: Options): Promise<string[]> {
  const paths = new Set(o.archives.map((a) => resolve(a)));
  if (o.sweep) {
    const { dir, keep } = o.sweep;
    const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const f of selectArchives(files, o.sweep)) paths.add(resolve(join(dir, f)));
    for (const k of keep) paths.delete(resolve(k));
  }
  return [...paths];
}

export const command: Command = {
  async run(argv) {
    let options: Options | 'help';
    try {
      options = parse(argv);
    } catch (err) {
      console.error(`continuum cleanup: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    if (options === 'help') {
      console.log(help);
      return 0;
    }
    let paths: string[];
    try {
      paths = await targets(options);
    } catch (err) {
      console.error(`cannot list checkpoint archives: ${(err as Error).message}`);
      return 1;
    }
    let failed = false;
    for (const path of paths) {
      try {
        await rm(path, { force: true });
        await rm(layerRecordPath(path), { force: true }); // what an imager recorded of it
        console.log(`deleted ${path}`);
      } catch (err) {
        console.error(`cannot delete checkpoint archive "${path}": ${(err as Error).message}`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
