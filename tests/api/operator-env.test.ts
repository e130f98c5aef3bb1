/**
 * GIVEN the chart's operator ConfigMap and Deployment, WHEN synthesised, THEN every environment
 * variable they set is one `continuum operator` reads (runtime/config-env.ts), or Node.js's
 * NODE_OPTIONS: a renamed variable cannot leave the chart setting the old name. Pure: no
 * cluster needed.
 */
import test from 'ava';
import { App } from 'cdk8s';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { configMapChart, deploymentChart } from '../../cdk8s/operator.ts';
import { OPERATOR_ENV } from '../../reconcilers/runtime/config-env.ts';

test('the chart sets only variables the operator reads', (t) => {
  const app = new App();
  const [configMap] = configMapChart(app).toJson() as V1ConfigMap[];
  const deployment = (deploymentChart(app).toJson() as V1Deployment[]).find(
    (d) => d.kind === 'Deployment',
  );
  const container = deployment!.spec!.template.spec!.containers[0]!;
  const set = [...Object.keys(configMap!.data ?? {}), ...(container.env ?? []).map((e) => e.name)];
  t.true(set.length > 20);
  t.deepEqual(
    // NODE_OPTIONS is Node.js's own (the heap limits)
    set.filter((name) => !(name in OPERATOR_ENV) && name !== 'NODE_OPTIONS'),
    [],
  );
});
