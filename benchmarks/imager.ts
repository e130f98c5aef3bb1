/**
 * Benchmark: `continuum imager` against `skopeo copy` pushing the same content to the same
 * kind of registry (docker-registry with htpasswd on loopback, fresh storage per push).
 * For each archive size and content kind it writes a simulated checkpoint archive, makes an
 * OCI layout of it (the imager's --oci-layout, uncompressed), then times, alternately,
 *   imager: continuum imager --archive A --repository R (uncompressed, push + verify)
 *   skopeo: skopeo copy --all --preserve-digests oci:LAYOUT:t docker://R (no recompression)
 * and reports wall-clock throughput (archive bytes / process wall time, start-up included),
 * The imager runs compiled (tsc -p tsconfig.build.json into a scratch directory), as in the
 * product image; running it through tsx would add about a second of start-up per push.
 * the ratio imager/skopeo, and each process's peak RSS (GNU time %M).
 *
 *   npx tsx benchmarks/imager.ts [--sizes 64M,512M,2G] [--kinds random,zero] [--repeat 1] [--compress]
 * --compress also times imager --compress against skopeo's default (which gzips).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { startRegistry } from '../tests/env/registry.ts';
import { imagerFlags } from '../tests/imager/helpers.ts';
import { writeCheckpointArchive } from '../tests/sim/checkpoint-archive.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64M,512M,2G' },
    kinds: { type: 'string', default: 'random,zero' },
    repeat: { type: 'string', default: '1' },
    compress: { type: 'boolean', default: false },
  },
});

function parseSize(text: string): number {
  const match = /^(\d+)([KMG]?)$/i.exec(text.trim());
  if (!match) throw new Error(`bad size "${text}" (e.g. 64M, 2G)`);
  return Number(match[1]) * 1024 ** ' KMG'.indexOf((match[2] || ' ').toUpperCase());
}

interface Measure {
  seconds: number;
  rssMiB: number;
}

/**
 * The environment both tools run in: this one without NODE_EXTRA_CA_CERTS, which the product
 * image does not set (an imaging Job does not inherit it) and with which Node 20 parses the
 * named bundle at every start-up (40 ms for Debian's 140 certificates, a tenth of a 64 MiB push).
 */
const toolEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'),
);

/**
 * Runs a command under GNU time; returns wall seconds (measured here, to the millisecond: time's
 * own %e has 10 ms steps) and peak RSS.
 */
async function timed(command: string, args: string[]): Promise<Measure> {
  const out = join(work, `time-${Date.now()}`);
  const start = performance.now();
  try {
    await run('/usr/bin/time', ['-o', out, '-f', '%M', command, ...args], {
      maxBuffer: 16 * 1024 * 1024,
      env: toolEnv,
    });
  } catch (err) {
    throw new Error(`${command} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const kb = Number(readFileSync(out, 'utf8').trim().split(/\s+/).at(-1));
  console.error(
    `  ${command === 'skopeo' ? 'skopeo' : 'imager'} ${seconds.toFixed(3)} s, ${(kb / 1024).toFixed(0)} MiB`,
  );
  return { seconds, rssMiB: kb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'continuum-bench-'));
const user = 'bench';
const password = 'bench-secret';
let registries = 0;

/** Times one push to a fresh registry, then removes the registry and its storage. */
async function onFreshRegistry(
  push: (host: string, dockerConfig: string) => Promise<Measure>,
): Promise<Measure> {
  const name = `registry-${registries++}`;
  const { info, service } = await startRegistry({ name, workDir: work, username: user, password });
  await run('sync'); // start every push with no dirty pages from the previous one
  try {
    return await push(info.host, info.dockerConfig);
  } finally {
    await service.stop();
    rmSync(join(work, name), { recursive: true, force: true });
  }
}

/** Compiles the CLI as `npm run build` does, into the scratch directory; returns cli.js. */
async function compile(): Promise<string> {
  const outDir = join(work, 'dist');
  // tsc exits non-zero on type errors elsewhere in the tree but still emits: check the output.
  await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root }).catch(
    () => undefined,
  );
  const cli = join(outDir, 'reconcilers', 'cli.js');
  if (!existsSync(cli)) throw new Error('cannot compile the CLI (npx tsc -p tsconfig.build.json)');
  // As /app/package.json in the product image: ES modules, no syntax detection per file.
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  return cli;
}

const rows: string[][] = [];
try {
  const bin = await compile();
  console.error(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, work dir ${work}`,
  );
  for (const sizeText of values.sizes!.split(',')) {
    for (const kind of values.kinds!.split(',') as ('random' | 'zero')[]) {
      const size = parseSize(sizeText);
      const archive = join(work, `checkpoint-bench_default-app-${sizeText}-${kind}.tar`);
      const { archiveBytes } = await writeCheckpointArchive({
        path: archive,
        container: 'app',
        sizeBytes: size,
        contentKind: kind,
      });
      const layout = join(work, 'layout');
      await run(process.execPath, [
        bin,
        'imager',
        ...imagerFlags(archive, { ociLayout: layout, tag: 't' }, '--keep-archive'),
      ]);
      for (const compress of values.compress ? [false, true] : [false]) {
        const imager: Measure[] = [];
        const skopeo: Measure[] = [];
        const pushImager = () =>
          onFreshRegistry((host, dockerConfig) =>
            timed(process.execPath, [
              bin,
              'imager',
              ...imagerFlags(
                archive,
                { repository: `${host}/bench/app`, tag: 't', dockerConfig },
                '--keep-archive',
                compress ? '--compress' : '--no-compress',
              ),
            ]),
          );
        const pushSkopeo = () =>
          onFreshRegistry((host) =>
            timed('skopeo', [
              'copy',
              '--quiet',
              '--all',
              ...(compress ? [] : ['--preserve-digests']),
              '--dest-creds',
              `${user}:${password}`,
              '--dest-tls-verify=false',
              `oci:${layout}:t`,
              `docker://${host}/bench/app:t`,
            ]),
          );
        // Alternate which tool goes first, so that neither always inherits the other's
        // leftovers (page-cache writeback, a warmer CPU frequency…).
        for (let i = 0; i < Number(values.repeat); i++) {
          if (i % 2 === 0) {
            imager.push(await pushImager());
            skopeo.push(await pushSkopeo());
          } else {
            skopeo.push(await pushSkopeo());
            imager.push(await pushImager());
          }
        }
        const mibps = (m: Measure[]) => archiveBytes / 2 ** 20 / median(m.map((x) => x.seconds));
        const row = [
          sizeText,
          kind,
          compress ? 'gzip' : 'none',
          median(imager.map((m) => m.seconds)).toFixed(3),
          mibps(imager).toFixed(0),
          Math.max(...imager.map((m) => m.rssMiB)).toFixed(0),
          median(skopeo.map((m) => m.seconds)).toFixed(3),
          mibps(skopeo).toFixed(0),
          Math.max(...skopeo.map((m) => m.rssMiB)).toFixed(0),
          (mibps(imager) / mibps(skopeo)).toFixed(2),
        ];
        rows.push(row);
        console.error(row.join('\t'));
      }
      rmSync(archive, { force: true });
      rmSync(layout, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const header = [
  'size',
  'content',
  'compression',
  'imager s',
  'imager MiB/s',
  'imager RSS MiB',
  'skopeo s',
  'skopeo MiB/s',
  'skopeo RSS MiB',
  'ratio',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
console.log(
  [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join(
    '\n',
  ),
);
