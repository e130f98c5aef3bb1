/**
 * Helpers of the imager tests: scratch directories, simulated archives, running the real
 * `continuum imager` command as a process, and skopeo against the test registries.
 */
import type { ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RegistryInfo } from '../env/info.ts';
import {
  writeCheckpointArchive,
  type CheckpointArchiveOptions,
} from '../sim/checkpoint-archive.ts';

const bin = new URL('../../bin/continuum.js', import.meta.url).pathname;
export const execFileAsync = promisify(execFile);

/** A scratch directory removed after the test. */
export function scratchDir(t: ExecutionContext, prefix = 'imager-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function archiveIn(
  dir: string,
  o: Partial<CheckpointArchiveOptions> = {},
): Promise<string> {
  const path = join(dir, `checkpoint-web_shop-${o.container ?? 'app'}-2026-11-28T08:00:00Z.tar`);
  await writeCheckpointArchive({
    path,
    container: 'app',
    pod: 'web',
    namespace: 'shop',
    sizeBytes: 1024 * 1024 + 7,
    contentKind: 'random',
    checkpointedAt: new Date('2026-11-28T08:00:00Z'),
    ...o,
  });
  return path;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `continuum imager <args>` (CONTINUUM_* variables cleared unless given). */
export function runImager(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('CONTINUUM_') || k === 'CONTINUUM_TEST_ENV',
    ),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'imager', ...args], { env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Where `continuum imager` puts the image: a repository or an OCI layout, with a tag. */
export interface ImagerTarget {
  repository?: string;
  ociLayout?: string;
  tag?: string;
  dockerConfig?: string;
}

/** The flags imaging the container `app` of `archive` to `to`, then `more`. */
export function imagerFlags(archive: string, to: ImagerTarget, ...more: string[]): string[] {
  return [
    '--archive',
    archive,
    '--container',
    'app',
    ...(to.repository ? ['--repository', to.repository] : []),
    ...(to.ociLayout ? ['--oci-layout', to.ociLayout] : []),
    ...(to.tag ? ['--tag', to.tag] : []),
    ...(to.dockerConfig ? ['--docker-config', to.dockerConfig] : []),
    ...more,
  ];
}

/** A repository name of its own for each test. */
export function uniqueRepository(registry: RegistryInfo, name: string): string {
  return `${registry.host}/imager-test/${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** skopeo flags to reach a test registry. */
export function skopeoCreds(registry: RegistryInfo): string[] {
  return ['--creds', `${registry.username}:${registry.password}`, '--tls-verify=false'];
}

export async function skopeoRaw(
  registry: RegistryInfo,
  ref: string,
): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync('skopeo', [
    'inspect',
    '--raw',
    ...skopeoCreds(registry),
    `docker://${ref}`,
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}
