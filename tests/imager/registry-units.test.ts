/** Pure tiers of the registry client: references, challenges, docker configs, error mapping. */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  credentialsFromDockerConfig,
  credentialsFromDockerConfigJson,
  parseChallenge,
} from '../../reconcilers/registry/auth.ts';
import { statusError, type RegistryErrorKind } from '../../reconcilers/registry/errors.ts';
import {
  isLoopbackRegistry,
  parseReference,
  parseRepository,
} from '../../reconcilers/registry/reference.ts';
import { scratchDir } from './helpers.ts';

test('references', (t) => {
  t.deepEqual(parseRepository('127.0.0.1:5000/a/b'), { registry: '127.0.0.1:5000', name: 'a/b' });
  t.deepEqual(parseReference('r.io/a:v1'), {
    repository: { registry: 'r.io', name: 'a' },
    reference: 'v1',
  });
  t.is(
    parseReference(`localhost:5000/a@sha256:${'0'.repeat(64)}`).reference,
    `sha256:${'0'.repeat(64)}`,
  );
  t.throws(() => parseRepository('r.io/UPPER'));
  t.throws(() => parseRepository('library/nginx'), { message: /host\[:port\]/ });
  t.true(isLoopbackRegistry('127.0.0.1:5000'));
  t.true(isLoopbackRegistry('localhost'));
  t.true(isLoopbackRegistry('[::1]:5000'));
  t.false(isLoopbackRegistry('registry.example.com:5000'));
});

test('WWW-Authenticate challenges', (t) => {
  t.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a:pull,push"',
    ),
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:a:pull,push',
      },
    },
  );
  t.deepEqual(parseChallenge('Basic realm="continuum-test"'), {
    scheme: 'basic',
    params: { realm: 'continuum-test' },
  });
  t.is(parseChallenge('Negotiate abc'), undefined);
  t.is(parseChallenge(undefined), undefined);
});

test('docker config credentials: auth or username/password, keys as hosts or URLs', async (t) => {
  const file = join(scratchDir(t), 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      auths: {
        'https://r.example.com/v1/': { auth: Buffer.from('u:p:with:colons').toString('base64') },
        '127.0.0.1:5000': { username: 'a', password: 'b' },
      },
    }),
  );
  t.deepEqual(await credentialsFromDockerConfig(file, 'r.example.com'), {
    username: 'u',
    password: 'p:with:colons',
  });
  t.deepEqual(await credentialsFromDockerConfig(file, '127.0.0.1:5000'), {
    username: 'a',
    password: 'b',
  });
  t.is(await credentialsFromDockerConfig(file, 'other.example.com'), undefined);
  t.deepEqual(
    credentialsFromDockerConfigJson(
      '{"auths":{"Reg.Example.COM":{"username":"c","password":"d"}}}',
      'reg.example.com',
    ),
    { username: 'c', password: 'd' },
    'host names are case-insensitive',
  );
  const hub = JSON.stringify({
    auths: { 'https://index.docker.io/v1/': { username: 'h', password: 'k' } },
  });
  t.deepEqual(credentialsFromDockerConfigJson(hub, 'docker.io'), { username: 'h', password: 'k' });
  t.throws(() => credentialsFromDockerConfigJson('{"auths":{"r.io":{}}}', 'r.io'), {
    message: /no username and password/,
  });
  await t.throwsAsync(credentialsFromDockerConfig(join(file, 'missing'), 'x'), {
    message: /cannot read docker config/,
  });
});

test('HTTP statuses map to error kinds with clear messages', (t) => {
  const body = Buffer.from(
    JSON.stringify({
      errors: [
        { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' },
      ],
    }),
  );
  const cases: [number, Buffer, RegistryErrorKind, RegExp][] = [
    [400, body, 'digestMismatch', /digest mismatch \(400\): DIGEST_INVALID: provided digest/],
    [401, Buffer.alloc(0), 'auth', /unauthorized \(401\)/],
    [403, Buffer.alloc(0), 'auth', /access denied \(403\)/],
    [404, Buffer.alloc(0), 'rejected', /not found \(404\)/],
    [413, Buffer.alloc(0), 'rejected', /too large .*\(413\)/],
    [429, Buffer.alloc(0), 'transient', /\(429\)/],
    [503, Buffer.alloc(0), 'transient', /registry error \(503\)/],
  ];
  for (const [status, errorBody, kind, message] of cases) {
    const err = statusError('upload', status, errorBody);
    t.is(err.kind, kind, `status ${status}`);
    t.regex(err.message, message);
  }
});

test('a docker config that is not JSON is reported without its text (it holds passwords)', (t) => {
  const json = '{"auths":{"r.io":{"username":"u","password":hunter2}}}';
  const err = t.throws(() => credentialsFromDockerConfigJson(json, 'r.io'));
  t.is(err?.message, 'not JSON');
});
