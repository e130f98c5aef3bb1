/**
 * The operator's environment (pure): one table (runtime/config-env.ts) that configFromEnv reads
 * and `continuum operator --help` prints, defaults applied, bad values refused by name.
 */
import test from 'ava';
import { migrationConfig } from '../../reconcilers/migration/controller.ts';
import { HELP, parseOperatorFlags } from '../../reconcilers/operator/command.ts';
import { OPERATOR_ENV, type EnvVar } from '../../reconcilers/runtime/config-env.ts';
import { configFromEnv } from '../../reconcilers/runtime/config.ts';

/** The names configFromEnv looks up when given `env`. */
function namesRead(env: Record<string, string>): string[] {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name) as unknown;
    },
  });
  configFromEnv(recording);
  return [...read].sort();
}

test('--help lists every variable configFromEnv reads, with its default; it reads no other', (t) => {
  const all = { CONTINUUM_WEBHOOK_LISTEN: ':9443', CONTINUUM_RESTORE_INSTALLER: 'true' };
  const read = namesRead(all);
  t.deepEqual(read, Object.keys(OPERATOR_ENV).sort());
  for (const name of read) {
    t.regex(HELP, new RegExp(`[[ ]${name}(]| |$)`, 'm'), name);
    const shown = (OPERATOR_ENV as Record<string, EnvVar>)[name]!.default;
    if (shown !== undefined) t.true(HELP.includes(`(${shown})`), `${name} default ${shown}`);
  }
});

test('defaults: the values the chart leaves out', (t) => {
  const config = configFromEnv({});
  t.like(config, {
    registryPlainHttp: false,
    logLevel: 'info',
    image: { name: 'ghcr.io/continuum-dev/continuum:0.1.0', pullSecret: undefined },
    serviceAccounts: { imager: 'continuum-imager', agent: 'continuum-agent' },
    migration: {
      checkpointTimeoutSeconds: 60,
      pullGraceSeconds: 60,
      jobTtlSeconds: 600,
      ttl: { doneSeconds: 3600, failedSeconds: 7 * 86400 },
    },
    restore: { runtimeClassName: 'continuum' },
  });
  t.is(config.watchNamespace, undefined);
  t.is(config.webhook, undefined);
  t.is(config.restore.installer, undefined);
});

test('the settings beyond the flags, and what the Migration state machine makes of them', (t) => {
  const config = configFromEnv({
    POD_NAME: 'continuum-0',
    CONTINUUM_WATCH_NAMESPACE: 'team-a',
    CONTINUUM_IMAGE: 'registry.example.com/continuum:1.2.3',
    CONTINUUM_IMAGE_PULL_SECRET: 'product-pull',
    CONTINUUM_REGISTRY_PLAIN_HTTP: 'true',
    CONTINUUM_PULL_GRACE: '15',
    CONTINUUM_MIGRATION_TTL_DONE: '0',
    CONTINUUM_MIGRATION_TTL_FAILED: '-1',
    CONTINUUM_WEBHOOK_LISTEN: ':9443',
    CONTINUUM_WEBHOOK_HOSTS: 'continuum-webhook.ops.svc, 10.0.0.1',
    CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION: 'continuum-restore',
    CONTINUUM_RESTORE_INSTALLER: 'true',
    CONTINUUM_RESTORE_NODE_SELECTOR: 'layer=cloud, zone=a',
    CONTINUUM_LOG_LEVEL: 'debug',
  });
  t.is(config.watchNamespace, 'team-a');
  t.is(config.logLevel, 'debug');
  t.deepEqual(config.webhook, {
    listen: ':9443',
    hosts: ['continuum-webhook.ops.svc', '10.0.0.1'],
    configurations: { mutating: 'continuum-restore' },
    tls: 'operator',
  });
  const certManager = configFromEnv({
    CONTINUUM_WEBHOOK_LISTEN: ':9443',
    CONTINUUM_WEBHOOK_TLS: 'cert-manager',
  });
  t.is(certManager.webhook?.tls, 'cert-manager');
  t.deepEqual(config.restore.installer, {
    nodeSelector: { layer: 'cloud', zone: 'a' },
    hostDir: '/opt/continuum',
  });
  t.like(migrationConfig(config), {
    imagerImage: 'registry.example.com/continuum:1.2.3',
    imagePullSecret: 'product-pull',
    registryPlainHttp: true,
    pullGraceMs: 15_000,
    ttl: { doneSeconds: 0, failedSeconds: undefined },
    reportingInstance: 'continuum-0',
  });
});

test('a bad value stops the start with an error naming the variable', (t) => {
  const refused: Array<[string, string]> = [
    ['CONTINUUM_JOB_TTL', '10m'],
    ['CONTINUUM_CHECKPOINT_TIMEOUT', '-5'],
    ['CONTINUUM_PULL_GRACE', 'soon'],
    ['CONTINUUM_MIGRATION_TTL_DONE', 'never'],
    ['CONTINUUM_LEADER_ELECT', 'maybe'],
    ['CONTINUUM_KUBELET_VIA_PROXY', 'yes'],
    ['CONTINUUM_LOG_LEVEL', 'loud'],
  ];
  for (const [name, value] of refused) {
    t.throws(() => parseOperatorFlags([], { [name]: value }), {
      message: `invalid ${name} "${value}": expected ${expectation(name)}`,
    });
  }
  t.throws(
    () => configFromEnv({ CONTINUUM_WEBHOOK_LISTEN: ':9443', CONTINUUM_WEBHOOK_TLS: 'vault' }),
    { message: 'invalid CONTINUUM_WEBHOOK_TLS "vault": expected operator, cert-manager' },
  );
  t.throws(
    () =>
      configFromEnv({
        CONTINUUM_RESTORE_INSTALLER: 'true',
        CONTINUUM_RESTORE_NODE_SELECTOR: 'cloud',
      }),
    { message: /invalid CONTINUUM_RESTORE_NODE_SELECTOR "cloud": expected key=value pairs/ },
  );
});

function expectation(name: string): string {
  if (name.includes('_TTL_')) return 'seconds (negative: kept)';
  if (name === 'CONTINUUM_LOG_LEVEL') return 'trace, debug, info, warn, error, fatal, silent';
  if (name === 'CONTINUUM_LEADER_ELECT' || name.endsWith('_PROXY')) return 'true or false';
  return 'whole seconds';
}
