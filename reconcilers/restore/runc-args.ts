/**
 * runc's command line as containerd's shim (and CRI-O) call it:
 * `runc [global flags] <command> [flags] <id>`, e.g. `--root R --log L --log-format json
 * create --bundle B --pid-file P [--console-socket S] ID`.
 */

export interface RuncCall {
  /** The global flags, passed on unchanged to every runc the wrapper runs. */
  global: string[];
  command: string;
  args: string[];
  /** runc's --log file: where an error must go for the shim to report it. */
  log?: string;
}

export interface CreateArgs {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  id: string;
}

const globalValues = new Set(['--root', '--log', '--log-format', '--criu', '--rootless']);
const createValues = new Set([
  '--bundle',
  '-b',
  '--pid-file',
  '--console-socket',
  '--preserve-fds',
  '--pidfd-socket',
]);

/** `--flag value` and `--flag=value` as [flag, value] pairs, and the positional arguments. */
function scan(args: string[], withValue: Set<string>, stopAtPositional: boolean) {
  const flags: Array<[string, string | undefined]> = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=');
      if (eq > 0) flags.push([arg.slice(0, eq), arg.slice(eq + 1)]);
      else if (withValue.has(arg)) flags.push([arg, args[++i]]);
      else flags.push([arg, undefined]);
    } else {
      positional.push(arg);
      if (stopAtPositional) return { flags, positional, end: i };
    }
  }
  return { flags, positional, end: args.length };
}

export function parseRuncCall(argv: string[]): RuncCall {
  const { flags, positional, end } = scan(argv, globalValues, true);
  const log = flags.find(([flag]) => flag === '--log')?.[1];
  return {
    global: argv.slice(0, end),
    command: positional[0] ?? '',
    args: argv.slice(end + 1),
    ...(log ? { log } : {}),
  };
}

export function parseCreate(args: string[]): CreateArgs {
  const { flags, positional } = scan(args, createValues, false);
  const value = (...names: string[]) => flags.find(([flag]) => names.includes(flag))?.[1];
  const pidFile = value('--pid-file');
  const consoleSocket = value('--console-socket');
  return {
    bundle: value('--bundle', '-b') ?? '.',
    ...(pidFile ? { pidFile } : {}),
    ...(consoleSocket ? { consoleSocket } : {}),
    noPivot: flags.some(([flag]) => flag === '--no-pivot'),
    id: positional[positional.length - 1] ?? '',
  };
}
