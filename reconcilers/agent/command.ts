/** `continuum agent`: samples the pods of one node and publishes their metrics on NATS. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { parseDuration } from '../api/duration.ts';
import { DEFAULT_CPU_WINDOW, DEFAULT_MONITORING_INTERVAL } from '../api/types.ts';
import { loadKubeConfig } from '../runtime/kube.ts';
import { createLogger } from '../runtime/log.ts';
import { detectHierarchies } from './cgroup-files.ts';
import { parseKubeletCgroupRoot } from './cgroup-paths.ts';
import { Agent, type AgentOptions } from './agent.ts';

const HELP = `Usage: continuum agent [flags]

Samples the CPU and memory of every container of the pods on one node (from their cgroups,
v2 or v1) and of the node (from /proc), and publishes one JSON message per interval on the NATS
subject continuum.metrics.<node>. Keeps sampling through NATS and API server outages.

Flags (environment variable in brackets):
  --node NAME          the node this agent runs on [NODE_NAME] (required)
  --nats-url URL       NATS server(s), comma-separated [CONTINUUM_NATS_URL] (required)
  --interval DUR       time between two samples [CONTINUUM_INTERVAL] (${DEFAULT_MONITORING_INTERVAL})
  --cpu-window DUR     window CPU usage is averaged over [CONTINUUM_CPU_WINDOW] (${DEFAULT_CPU_WINDOW})
  --cgroup-root PATH   where the cgroup hierarchies are mounted: the v2 unified hierarchy, or
                       the v1 cpu[,cpuacct], cpuacct and memory hierarchies as subdirectories
                       (symbolic links work) [CONTINUUM_CGROUP_ROOT] (/sys/fs/cgroup)
  --kubelet-cgroup-root PATH
                       the kubelet's cgroupRoot setting: pod cgroups are looked for below it
                       in each hierarchy, named as the kubelet names them for either cgroup
                       driver [CONTINUUM_KUBELET_CGROUP_ROOT] (/)
  --proc-root PATH     the node's /proc [CONTINUUM_PROC_ROOT] (/proc)
  --kubeconfig PATH    kubeconfig file [CONTINUUM_KUBECONFIG]; default: in-cluster, else
                       KUBECONFIG / ~/.kube/config
  --help               this text

Environment only:
  CONTINUUM_LOG_LEVEL  trace, debug, info, warn, error, fatal or silent (info)`;

type Env = Record<string, string | undefined>;

/** The agent's options, and the level of its log (CONTINUUM_LOG_LEVEL; pino checks it). */
export type AgentCommandOptions = AgentOptions & { logLevel?: string };

/** Parses flags over environment defaults; throws on invalid or missing flags. */
export function parseAgentFlags(
  argv: string[],
  env: Env = process.env,
): AgentCommandOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      node: { type: 'string' },
      'nats-url': { type: 'string' },
      interval: { type: 'string' },
      'cpu-window': { type: 'string' },
      'cgroup-root': { type: 'string' },
      'kubelet-cgroup-root': { type: 'string' },
      'proc-root': { type: 'string' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const node = values.node ?? env.NODE_NAME;
  const natsUrl = values['nats-url'] ?? env.CONTINUUM_NATS_URL;
  if (!node) throw new Error('--node (or NODE_NAME) is required');
  if (!natsUrl) throw new Error('--nats-url (or CONTINUUM_NATS_URL) is required');
  const intervalMs = parseDuration(
    values.interval ?? env.CONTINUUM_INTERVAL ?? DEFAULT_MONITORING_INTERVAL,
  );
  const cpuWindowMs = parseDuration(
    values['cpu-window'] ?? env.CONTINUUM_CPU_WINDOW ?? DEFAULT_CPU_WINDOW,
  );
  if (intervalMs < 10) throw new Error(`--interval must be at least 10ms`);
  const kubeletCgroupRoot =
    values['kubelet-cgroup-root'] ?? env.CONTINUUM_KUBELET_CGROUP_ROOT ?? '/';
  parseKubeletCgroupRoot(kubeletCgroupRoot); // throws on an invalid root
  return {
    node,
    natsUrl,
    intervalMs,
    cpuWindowMs,
    cgroupRoot: values['cgroup-root'] ?? env.CONTINUUM_CGROUP_ROOT ?? '/sys/fs/cgroup',
    kubeletCgroupRoot,
    procRoot: values['proc-root'] ?? env.CONTINUUM_PROC_ROOT ?? '/proc',
    kubeconfig: values.kubeconfig ?? env.CONTINUUM_KUBECONFIG,
    ...(env.CONTINUUM_LOG_LEVEL ? { logLevel: env.CONTINUUM_LOG_LEVEL } : {}),
  };
}

export const command: Command = {
  async run(argv) {
    let opts: AgentCommandOptions | 'help';
    try {
      opts = parseAgentFlags(argv);
      if (opts !== 'help') detectHierarchies(opts.cgroupRoot);
    } catch (err) {
      console.error(`continuum agent: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (opts === 'help') {
      console.log(HELP);
      return 0;
    }
    const log = createLogger({ name: 'agent', level: opts.logLevel }).child({ node: opts.node });
    const agent = new Agent(opts, loadKubeConfig(opts.kubeconfig), log);
    let wake!: () => void;
    const done = new Promise<void>((resolve) => (wake = resolve));
    const onSignal = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      wake();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    agent.start();
    await done;
    await agent.stop();
    return 0;
  },
};
