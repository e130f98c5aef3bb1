/**
 * `continuum restore-create <runc arguments>`: the part of the runc wrapper that is not shell.
 * bin/continuum-runc hands it the `create` calls whose OCI spec carries a restore ticket; it
 * restores the container (restore.ts), creates it as usual (plan.ts says when), or fails the
 * create with a one-line reason in runc's --log file, which the shim reports to the kubelet
 * (the pod's events) and the operator copies into the Migration.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { planCreate, withoutCheckpointMount, type OciSpec } from './plan.ts';
import { restoreContainer } from './restore.ts';
import { parseCreate, parseRuncCall, type RuncCall } from './runc-args.ts';
import { validIssuer } from './ticket.ts';

/** Where the wrapper keeps what it must remember per container (tmpfs: gone at reboot). */
export function stateDir(env: NodeJS.ProcessEnv): string {
  return env.CONTINUUM_RUNC_STATE || '/run/continuum-runc';
}

/** The error line the shim reads from runc's log (its stderr is not kept). */
function report(call: RuncCall, reason: string): number {
  const line = JSON.stringify({
    level: 'error',
    msg: `continuum: ${reason}`,
    time: new Date().toISOString(),
  });
  if (call.log) {
    try {
      appendFileSync(call.log, `${line}\n`);
    } catch {
      // the shim reads stderr too when there is no log
    }
  }
  console.error(`continuum: ${reason}`);
  return 1;
}

function runc(env: NodeJS.ProcessEnv): string {
  return env.CONTINUUM_RUNC_BINARY || 'runc';
}

function passThrough(argv: string[], env: NodeJS.ProcessEnv): number {
  const result = spawnSync(runc(env), argv, { stdio: 'inherit' });
  if (result.error) return report(parseRuncCall(argv), `cannot run runc: ${result.error.message}`);
  return result.status ?? 1;
}

/** The key of `issuer`: `keys/<issuer>.key` next to the wrapper (the installer writes it). */
function readKey(env: NodeJS.ProcessEnv, issuer: string): Buffer | undefined {
  if (!validIssuer(issuer)) return undefined;
  try {
    const key = readFileSync(join(env.CONTINUUM_RUNC_HOME ?? '.', 'keys', `${issuer}.key`));
    return key.length ? key : undefined;
  } catch {
    return undefined;
  }
}

export async function restoreCreate(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const call = parseRuncCall(argv);
  if (call.command !== 'create') return passThrough(argv, env);
  const create = parseCreate(call.args);
  if (!/^[\w.-]+$/.test(create.id)) return report(call, `bad container id "${create.id}"`);
  const configPath = join(create.bundle, 'config.json');
  let spec: OciSpec;
  try {
    spec = JSON.parse(readFileSync(configPath, 'utf8')) as OciSpec;
  } catch (err) {
    return report(call, `cannot read the OCI spec ${configPath}: ${(err as Error).message}`);
  }
  const state = stateDir(env);
  const failed = (podUid: string, container: string) =>
    join(state, 'failed', `${podUid}_${container}`);
  const plan = planCreate(spec, {
    key: (issuer) => readKey(env, issuer),
    nowSeconds: Math.floor(Date.now() / 1000),
    failedBefore: (podUid, container) => existsSync(failed(podUid, container)),
  });
  switch (plan.kind) {
    case 'refuse':
      return report(call, plan.reason);
    case 'create':
      writeFileSync(configPath, JSON.stringify(withoutCheckpointMount(spec)));
      return passThrough(argv, env);
    case 'restore':
      try {
        await restoreContainer({ runc: runc(env), call, create, spec, ...plan });
      } catch (err) {
        mkdirSync(join(state, 'failed'), { recursive: true });
        writeFileSync(failed(plan.podUid, plan.container), `${(err as Error).message}\n`);
        return report(
          call,
          `restoring container "${plan.container}" failed: ${(err as Error).message}`,
        );
      }
      // the shim's `start` finds the container running: bin/continuum-runc skips it once
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, create.id), plan.digest);
      return 0;
  }
}

export const command: Command = {
  run: (argv) => restoreCreate(argv, process.env),
};
