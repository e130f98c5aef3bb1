/**
 * Child processes of the test environment: each logs to its own file in the run's work
 * directory, and all of them are stopped (SIGTERM, then SIGKILL) when the environment stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './wait.ts';

export interface Service {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** True once the process has exited or could not be started. */
  exited(): boolean;
  /** Resolves when the process has exited (at once if it already has). */
  stop(): Promise<void>;
}

/**
 * Where Linux's setpriv is available, services get SIGKILL when this process dies, however it
 * dies (prctl PR_SET_PDEATHSIG): a killed test run leaves no control plane behind.
 */
const setpriv = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

/** Starts `command` with its output in `<logDir>/<name>.log`. */
export function startService(
  name: string,
  command: string,
  args: string[],
  opts: { logDir: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Service {
  const logFile = join(opts.logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const [file, argv] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', command, ...args]]
    : [command, args];
  const child = spawn(file, argv, {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  closeSync(fd);
  let spawnFailed = false;
  child.on('error', (err) => {
    spawnFailed = true;
    appendFileSync(logFile, `cannot start ${command}: ${err.message}\n`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hasExited = () => spawnFailed || child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    logFile,
    exited: hasExited,
    async stop() {
      if (hasExited()) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The last lines of a service's log, for error messages. */
export function logTail(service: Service, lines = 15): string {
  try {
    return readFileSync(service.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Waits until `ready()` resolves true, failing early with the service's log when it exits
 * and with a timeout error naming what was awaited.
 */
export async function waitUntil(
  service: Service,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.exited()) {
      throw new Error(`${service.name} exited before ${what}:\n${logTail(service)}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${service.name}: timed out waiting for ${what}:\n${logTail(service)}`);
    }
    await sleep(100);
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, and never one handed out before by this
 * process. It is drawn below the kernel's ephemeral range: a port from that range (what
 * `listen(0)` gives) can be taken as the local port of some outgoing connection before the
 * service binds it, and the service then fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const [low, high] = [10_000, ephemeralLow() - 1];
  for (let attempt = 0; high - low >= 1000 && attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  return anyPort(); // an ephemeral range that leaves no room below it
}

const handedOut = new Set<number>();

/** The first port of Linux's ephemeral range (32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const text = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    return Number(text.trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

/** A port the kernel picks (from the ephemeral range). */
function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
