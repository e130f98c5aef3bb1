/**
 * GIVEN the Secret that pulls the product image (CONTINUUM_IMAGE_PULL_SECRET)
 * WHEN the imaging Job and the cleanup pods are composed
 * THEN their pods pull with it; without one they name none.
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
