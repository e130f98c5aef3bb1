/**
 * GIVEN the resources of a restored pod's first container
 * WHEN the init container that fetches its checkpoints gets its own (fetchResources)
 * THEN it gets the same, so that the pod keeps its QoS class — except a memory limit too small
 *   for the fetch's Node.js, raised to 64Mi (with the request where they were equal); and
 *   quantities are read in every notation Kubernetes accepts.
 */
import test from 'ava';
import { quantityValue } from '../../reconcilers/migration/quantity.ts';
import { fetchResources } from '../../reconcilers/migration/wrapper-pod.ts';

test('large enough, requests only, or none: the first container’s as they are', (t) => {
  const large = { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '1Gi' } };
  t.is(fetchResources(large), large);
  const requestsOnly = { requests: { memory: '8Mi' } };
  t.is(fetchResources(requestsOnly), requestsOnly);
  t.is(fetchResources(undefined), undefined);
});

test('a Guaranteed 12Mi container: the fetch gets 64Mi for both, CPU as it was', (t) => {
  const small = { cpu: '100m', memory: '12Mi' };
  t.deepEqual(fetchResources({ requests: small, limits: small }), {
    requests: { cpu: '100m', memory: '64Mi' },
    limits: { cpu: '100m', memory: '64Mi' },
  });
  // the same request written another way is the same request
  t.deepEqual(fetchResources({ requests: { memory: '12582912' }, limits: { memory: '12Mi' } }), {
    requests: { memory: '64Mi' },
    limits: { memory: '64Mi' },
  });
});

test('a Burstable small limit: the limit raised, the smaller request kept', (t) => {
  t.deepEqual(fetchResources({ requests: { memory: '8Mi' }, limits: { memory: '32M' } }), {
    requests: { memory: '8Mi' },
    limits: { memory: '64Mi' },
  });
});

test('quantities in every notation; anything else is NaN', (t) => {
  for (const [q, value] of [
    ['64Mi', 64 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['129M', 129e6],
    ['100m', 0.1],
    ['.5', 0.5],
  ] as const)
    t.is(quantityValue(q), value, q);
  for (const bad of ['', 'Mi', '12 Mi', '12MiB', '1e', '0x10'])
    t.true(Number.isNaN(quantityValue(bad)), bad);
});
