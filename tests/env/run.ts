/**
 * Runs a command inside a fresh test environment and tears the environment down afterwards,
 * also on SIGINT/SIGTERM:  tsx tests/env/run.ts -- <command> [args…]
 * The command finds the environment through CONTINUUM_TEST_ENV (see info.ts). Exits with the
 * command's exit code.
 */
import { spawn } from 'node:child_process';
import { startEnv } from './index.ts';

const separator = process.argv.indexOf('--');
const [command, ...args] = separator >= 0 ? process.argv.slice(separator + 1) : [];
if (!command) {
  console.error('usage: tsx tests/env/run.ts -- <command> [args…]');
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`[test-env] ${line}\n`);
const env = await startEnv(log).catch((err: Error) => {
  log(`cannot start the test environment: ${err.message}`);
  process.exit(1);
});

const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, CONTINUUM_TEST_ENV: env.infoFile },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    child.kill(signal);
  });
}
const code = await new Promise<number>((resolve) =>
  child.on('exit', (status, signal) => resolve(status ?? (signal ? 130 : 1))),
);
await env.stop();
log('stopped');
process.exit(code);
