/** `continuum operator`: runs the controllers (leader-elected) with probes and metrics. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { configFromEnv, type OperatorConfig } from '../runtime/config.ts';
import { environmentHelp } from '../runtime/config-env.ts';
import { loadKubeConfig } from '../runtime/kube.ts';
import { createLogger } from '../runtime/log.ts';
import { controllerFactories } from './controllers.ts';
import { Operator } from './operator.ts';

const { flags, environmentOnly } = environmentHelp();

/** The usage text; the variables' lines come from the table configFromEnv reads. */
export const HELP = [
  'Usage: continuum operator [flags]',
  '',
  'Runs the continuum controllers. With leader election (the default) only the replica holding',
  "the Lease acts; the others wait and take over within about 13 s of the leader's death.",
  '',
  'Flags (environment variable in brackets, default in parentheses):',
  ...flags,
  '  --grace-period SECONDS      bound on in-flight reconciles at shutdown (10)',
  '  --help                      this text',
  '',
  "Environment only (the chart's ConfigMap sets them):",
  ...environmentOnly,
  '',
  'SIGTERM/SIGINT: stops the controllers (in-flight reconciles bounded by the grace period),',
  'then releases the Lease.',
].join('\n');

/** Parses flags over environment defaults; throws on invalid flags. */
export function parseOperatorFlags(
  argv: string[],
  env = process.env,
): { config: OperatorConfig; graceMs: number; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'nats-url': { type: 'string' },
      'registry-repository': { type: 'string' },
      'registry-ca': { type: 'string' },
      'kubelet-ca': { type: 'string' },
      'kubelet-via-proxy': { type: 'boolean' },
      listen: { type: 'string' },
      'leader-elect': { type: 'string' },
      identity: { type: 'string' },
      'grace-period': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  const config = configFromEnv(env);
  const leaderElect = values['leader-elect'];
  if (leaderElect !== undefined && leaderElect !== 'true' && leaderElect !== 'false') {
    throw new Error(`invalid --leader-elect "${leaderElect}": expected true or false`);
  }
  const grace = Number(values['grace-period'] ?? '10');
  if (!Number.isFinite(grace) || grace < 0) {
    throw new Error(`invalid --grace-period "${values['grace-period']}": expected seconds`);
  }
  return {
    help: values.help ?? false,
    graceMs: grace * 1000,
    config: {
      ...config,
      kubeconfig: values.kubeconfig ?? config.kubeconfig,
      namespace: values.namespace ?? config.namespace,
      natsUrl: values['nats-url'] ?? config.natsUrl,
      registryRepository: values['registry-repository'] ?? config.registryRepository,
      registryCA: values['registry-ca'] ?? config.registryCA,
      kubeletCA: values['kubelet-ca'] ?? config.kubeletCA,
      kubeletViaProxy: values['kubelet-via-proxy'] ?? config.kubeletViaProxy,
      listen: values.listen ?? config.listen,
      leaderElect: leaderElect === undefined ? config.leaderElect : leaderElect === 'true',
      identity: values.identity ?? config.identity,
    },
  };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --registry-ca "${path}": ${(err as Error).message}`);
  }
}

export const command: Command = {
  async run(argv) {
    let parsed;
    try {
      parsed = parseOperatorFlags(argv);
      const ca = parsed.config.registryCA;
      if (ca && !readCa(ca).includes('-----BEGIN CERTIFICATE-----'))
        throw new Error(`--registry-ca "${ca}" holds no PEM certificate`);
    } catch (err) {
      console.error(`continuum operator: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (parsed.help) {
      console.log(HELP);
      return 0;
    }
    const { config, graceMs } = parsed;
    const log = createLogger({ name: 'operator', level: config.logLevel });
    let fatal: unknown;
    let wake!: () => void;
    const done = new Promise<void>((resolve) => (wake = resolve));
    const operator = new Operator({
      kc: loadKubeConfig(config.kubeconfig),
      config,
      log,
      factories: controllerFactories,
      graceMs,
      onFatal: (err) => {
        fatal = err;
        wake();
      },
    });
    const onSignal = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      wake();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      await operator.start();
    } catch (err) {
      log.error({ err: String(err) }, 'cannot start the operator');
      return 1;
    }
    await done;
    await operator.stop();
    return fatal === undefined ? 0 : 1;
  },
};
