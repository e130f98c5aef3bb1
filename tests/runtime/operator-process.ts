/**
 * Runs `continuum operator` as a child process for tests (leader election, crash safety):
 * collects its JSON log lines, tells the probe port it bound, kills it with any signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/continuum.js', import.meta.url));

export interface OperatorProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far (non-JSON lines as `{ msg: line }`). */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line (past or future) whose msg matches. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The probe/metrics server port (from the "operator started" line). */
  port(): Promise<number>;
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<number | NodeJS.Signals>;
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

/** Starts the operator with `args` (add --kubeconfig, --namespace, …); `--listen 127.0.0.1:0` is added. */
export function startOperatorProcess(args: string[], env: NodeJS.ProcessEnv = {}): OperatorProcess {
  const child = spawn(process.execPath, [CLI, 'operator', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim())) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const w of waiters.slice()) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)),
  );
  const matches = (msg: string | RegExp, l: Record<string, unknown>): boolean =>
    typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg));
  const waitForLog = (msg: string | RegExp, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = (): boolean => {
        const found = logs.find((l) => matches(msg, l));
        if (!found) return false;
        resolve(found);
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `no log "${msg}" in ${timeoutMs} ms; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(waiter), 1);
      };
      waiters.push(waiter);
    });
  return {
    child,
    logs,
    waitForLog,
    exited,
    port: async () => Number((await waitForLog('operator started')).port),
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
