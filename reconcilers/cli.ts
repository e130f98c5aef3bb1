/**
 * The `continuum` command line: one binary, one subcommand per role
 * (operator, agent, imager, cleanup, and the restore path's fetch-checkpoint, install-restore and restore-create). Each subcommand lives next to the code it runs and
 * exports a {@link Command}; this file only dispatches.
 */
import type { Command } from './command.ts';

/** Subcommands, loaded lazily so that `continuum imager` does not load the operator. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  operator: {
    summary: 'run the controllers (leader-elected), with probes and metrics',
    load: () => import('./operator/command.ts').then((m) => m.command),
  },
  agent: {
    summary: 'sample the pods of one node from cgroups and publish their metrics on NATS',
    load: () => import('./agent/command.ts').then((m) => m.command),
  },
  imager: {
    summary: 'turn a checkpoint archive into an OCI image and push it (runs as a Job)',
    load: () => import('./imager/command.ts').then((m) => m.command),
  },
  cleanup: {
    summary: "delete a Migration's checkpoint archives from this node (runs as a Job)",
    load: () => import('./cleanup/command.ts').then((m) => m.command),
  },
  'fetch-checkpoint': {
    summary: 'pull checkpoint images by digest into a restored pod (its init container)',
    load: () => import('./restore/fetch.ts').then((m) => m.command),
  },
  'install-restore': {
    summary: "install continuum's runc wrapper on this node (the restore installer runs it)",
    load: () => import('./restore/install.ts').then((m) => m.command),
  },
  'restore-create': {
    summary: "restore a container in place of runc's create (called by bin/continuum-runc)",
    load: () => import('./restore/command.ts').then((m) => m.command),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return [
    'Usage: continuum <command> [flags]',
    '',
    'Moves running workloads from overloaded edge nodes to cloud nodes by checkpoint/restore.',
    '',
    'Commands:',
    ...(lines.length ? lines : ['  (none yet)']),
    '',
    'Run "continuum <command> --help" for the flags of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`continuum: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
