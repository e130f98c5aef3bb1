/**
 * GIVEN the operator's settings (CONTINUUM_IMAGE_PULL_SECRET, _REGISTRY_PLAIN_HTTP, _JOB_TTL)
 * WHEN the imaging Job is composed
 * THEN its pods pull with the Secret (none without one), its imagers speak plain HTTP only when
 *   told, and the Job stays for the TTL after it finished.
 */
import test from 'ava';
import { imagingJob } from '../../reconcilers/migration/imaging-job.ts';
import { config, migration, REPO } from './fixtures.ts';

const archive = { container: 'app', path: '/var/lib/kubelet/checkpoints/checkpoint-x.tar' };

test('the imaging Job pulls the product image with the configured Secret, and only then', (t) => {
  const m = migration();
  const withSecret = imagingJob(m, 'edge-1', [archive], REPO, {
    ...config,
    imagePullSecret: 'product-pull',
  });
  t.deepEqual(withSecret.spec?.template.spec?.imagePullSecrets, [{ name: 'product-pull' }]);
  const without = imagingJob(m, 'edge-1', [archive], REPO, config);
  t.is(without.spec?.template.spec?.imagePullSecrets, undefined);
});

test('the imagers speak plain HTTP to the registry only when configured', (t) => {
  const args = (plainHttp: boolean) =>
    imagingJob(migration(), 'edge-1', [archive], REPO, { ...config, registryPlainHttp: plainHttp })
      .spec?.template.spec?.containers[0]?.args;
  t.true(args(true)?.includes('--plain-http'));
  t.false(args(false)?.includes('--plain-http'));
});

test('the finished imaging Job stays for the configured TTL, with its logs', (t) => {
  const job = imagingJob(migration(), 'edge-1', [archive], REPO, { ...config, jobTtlSeconds: 42 });
  t.is(job.spec?.ttlSecondsAfterFinished, 42);
});
