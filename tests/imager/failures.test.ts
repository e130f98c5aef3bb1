/**
 * Every way the imager can fail ends with a clear message, the documented exit code
 * (2 bad input, 3 authentication, 4 transient, 5 refused) and the archive left in place.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testEnv } from '../env/info.ts';
import { freePort } from '../env/process.ts';
import { archiveIn, imagerFlags, runImager, scratchDir, uniqueRepository } from './helpers.ts';

test('a missing archive is bad input (2)', async (t) => {
  const dir = scratchDir(t);
  const run = await runImager(imagerFlags(join(dir, 'nope.tar'), { repository: '127.0.0.1:1/x' }));
  t.is(run.code, 2);
  t.regex(run.stderr, /cannot open checkpoint archive .*nope\.tar/);
});

test('a file that is not a tar is bad input (2) and is not deleted', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'random.tar');
  writeFileSync(file, randomBytes(10_000));
  const terminationLog = join(dir, 'termination-log');
  const run = await runImager(
    imagerFlags(
      file,
      { repository: '127.0.0.1:1/x' },
      '--termination-message-path',
      terminationLog,
    ),
  );
  t.is(run.code, 2);
  t.regex(run.stderr, /not a tar archive/);
  t.true(existsSync(file));
  t.regex(
    readFileSync(terminationLog, 'utf8'),
    /^cannot image checkpoint archive .* not a tar archive/,
  );
});

test('a truncated archive is bad input (2)', async (t) => {
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  truncateSync(archive, 600_000);
  const run = await runImager(imagerFlags(archive, { repository: '127.0.0.1:1/x' }));
  t.is(run.code, 2);
  t.regex(run.stderr, /truncated/);
  t.true(existsSync(archive));
});

test('missing flags are bad input (2) with a hint', async (t) => {
  const run = await runImager(['--archive', '/x.tar', '--repository', '127.0.0.1:1/x']);
  t.is(run.code, 2);
  t.regex(run.stderr, /--container is required/);
});

test('wrong credentials are an authentication failure (3); the archive is kept', async (t) => {
  t.timeout(60_000);
  const { registry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const dockerConfig = join(dir, 'config.json');
  writeFileSync(
    dockerConfig,
    JSON.stringify({
      auths: { [registry.host]: { username: registry.username, password: 'wrong' } },
    }),
  );
  const run = await runImager(
    imagerFlags(archive, { repository: uniqueRepository(registry, 'auth'), dockerConfig }),
  );
  t.is(run.code, 3);
  t.regex(run.stderr, /rejected the credentials of user "continuum" \(401\)/);
  t.true(existsSync(archive));
});

test('no credentials for a registry that requires them is an authentication failure (3)', async (t) => {
  t.timeout(60_000);
  const { registry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const run = await runImager(
    imagerFlags(archive, { repository: uniqueRepository(registry, 'anon') }),
  );
  t.is(run.code, 3);
  t.regex(run.stderr, /requires credentials and none are configured/);
});

test('a registry that is down is a transient failure (4) after the retries; the archive is kept', async (t) => {
  t.timeout(60_000);
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const run = await runImager(
    imagerFlags(archive, { repository: `127.0.0.1:${await freePort()}/x` }, '--retries', '2'),
  );
  t.is(run.code, 4);
  t.regex(run.stderr, /ECONNREFUSED/);
  t.true(existsSync(archive));
});

test('a registry name that does not resolve is a transient failure (4), reported', async (t) => {
  t.timeout(60_000);
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const run = await runImager(
    imagerFlags(archive, { repository: 'registry.invalid:5000/x' }, '--retries', '2'),
  );
  t.is(run.code, 4, run.stderr);
  t.regex(run.stderr, /registry\.invalid/);
  t.notRegex(run.stderr, /\n\s+at /, 'no stack trace');
  t.true(existsSync(archive));
});

test('a TLS registry whose CA is not trusted is refused (5) with a hint', async (t) => {
  t.timeout(60_000);
  const { tlsRegistry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const run = await runImager(
    imagerFlags(archive, {
      repository: uniqueRepository(tlsRegistry, 'tls'),
      dockerConfig: tlsRegistry.dockerConfig,
    }),
  );
  t.is(run.code, 5);
  t.regex(run.stderr, /cannot verify the registry's TLS certificate.*--ca-file/);
  t.true(existsSync(archive));
});

test('a plain-HTTP registry off loopback is refused (5) with a hint, and reached with --plain-http', async (t) => {
  t.timeout(60_000);
  const { httpRegistry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const to = {
    repository: uniqueRepository(httpRegistry, 'http'),
    dockerConfig: httpRegistry.dockerConfig,
  };
  const refused = await runImager(imagerFlags(archive, to));
  t.is(refused.code, 5, refused.stderr);
  t.regex(refused.stderr, /does not speak TLS.*--plain-http/);
  t.true(existsSync(archive));
  const pushed = await runImager(imagerFlags(archive, to, '--plain-http'));
  t.is(pushed.code, 0, pushed.stderr);
});
