/** Runs the provisioned kubectl against the test environment; resolves to its output or the failure. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { testEnv } from '../env/info.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl with the test environment's admin kubeconfig (or the given one); never rejects. */
export function kubectl(
  args: string[],
  options: { input?: string; kubeconfig?: string } = {},
): Promise<KubectlResult> {
  const env = testEnv();
  const kubeconfig = options.kubeconfig ?? env.kubeconfig;
  return new Promise((resolve) => {
    const child = execFile(
      join(env.binDir, 'kubectl'),
      ['--kubeconfig', kubeconfig, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Server-side apply, forced, with the tests' one field manager: safe from concurrent test files. */
export const FORCED_APPLY = [
  'apply',
  '--server-side',
  '--force-conflicts',
  '--field-manager=continuum-tests',
];

/** `install`, run once per kubeconfig by this process; after a failure the next call tries again. */
export function oncePerKubeconfig(
  install: (kubeconfig: string) => Promise<void>,
): (kubeconfig: string) => Promise<void> {
  const installed = new Map<string, Promise<void>>();
  return (kubeconfig) => {
    let done = installed.get(kubeconfig);
    if (!done) {
      done = install(kubeconfig);
      installed.set(kubeconfig, done);
      done.catch(() => installed.delete(kubeconfig));
    }
    return done;
  };
}
