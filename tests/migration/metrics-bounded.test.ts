/**
 * GIVEN passes of many Migrations (faked API, tests/migration/fake-cluster.ts)
 * WHEN the operator's metrics are read
 * THEN no label value names a Migration, pod or namespace, and the number of series does not
 *   grow with the number of Migrations: metrics stay bounded on a fleet.
 */
import test from 'ava';
import { MigrationReconciler } from '../../reconcilers/migration/reconciler.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { metrics, registry } from '../../reconcilers/runtime/metrics.ts';
import { FakeCluster, store } from './fake-cluster.ts';
import { at, config, migration, node, pod, target } from './fixtures.ts';

/** Moves `n` restart Migrations (each in its own namespace) to Done; the series then. */
async function seriesAfter(n: number): Promise<{ count: number; values: string[] }> {
  for (let i = 0; i < n; i++) {
    const namespace = `team-${i}`;
    const m = migration({ restorePolicy: 'restart' }, undefined, { namespace, name: `mig-${i}` });
    const c = new FakeCluster({
      migration: m,
      pods: [pod()].map((p) => ({ ...p, metadata: { ...p.metadata, namespace } })),
    });
    for (let pass = 0; pass < 4; pass++) {
      const restored = [...c.pods.values()].filter((p) => p.metadata?.name !== 'app');
      const ready = restored.map(() => ({
        ...target({ ready: true }),
        metadata: { ...restored[0]!.metadata },
      }));
      await new MigrationReconciler({
        cluster: c,
        caches: {
          nodes: store([node(), node('cloud-1', { 'continuum.dev/layer': 'cloud' })]),
          jobs: store(),
          labelledPods: store(ready),
          migrations: store(c.migration ? [structuredClone(c.migration)] : []),
          edgeNodes: store(),
          installerPods: store(),
        },
        registry: { hasManifest: async () => true, deleteManifest: async () => true },
        kubelet: { checkpoint: async () => '/x.tar' },
        config,
        log: silentLogger(),
        metrics,
        now: () => at(2 + pass),
      }).reconcile(`${namespace}/mig-${i}`);
    }
  }
  const all = await registry.getMetricsAsJSON();
  const values = all.flatMap((metric) =>
    metric.values.flatMap((v) => Object.values(v.labels ?? {}).map(String)),
  );
  return { count: all.reduce((sum, metric) => sum + metric.values.length, 0), values };
}

test('no label names a Migration, and the series do not grow with the Migrations', async (t) => {
  const few = await seriesAfter(3);
  const many = await seriesAfter(30);
  t.true(
    many.values.every((v) => !/mig-|team-/.test(v)),
    many.values.filter((v) => /mig-|team-/.test(v)).join(', '),
  );
  t.is(many.count, few.count);
  const completed = (await registry.getSingleMetric('continuum_migrations_completed_total')!.get())
    .values;
  t.is(
    completed.reduce((sum, v) => sum + v.value, 0),
    33,
    'every Migration reached Done (and was counted)',
  );
});
