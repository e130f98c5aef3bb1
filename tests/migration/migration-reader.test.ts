/**
 * GIVEN the informer's copy of a Migration and what this operator wrote or met
 * WHEN a pass asks MigrationReader for the Migration
 * THEN it gets the cached copy without a request, unless the operator wrote a resourceVersion
 *   the cache does not show yet or a write conflicted: then it is read from the API server, until
 *   the cache catches up; a Migration neither has is gone.
 */
import test from 'ava';
import type { Migration } from '../../reconcilers/api/types.ts';
import { MigrationReader } from '../../reconcilers/migration/migration-reader.ts';
import { FakeCluster } from './fake-cluster.ts';
import { migration } from './fixtures.ts';

/** A reader over a cache whose copy the test swaps; the API server holds `stored`. */
function setup(cached: Migration | undefined, stored: Migration | undefined) {
  const cluster = new FakeCluster(stored ? { migration: stored } : {});
  const cache = { copy: cached };
  const reader = new MigrationReader(cluster, {
    get: () => cache.copy,
    list: () => (cache.copy ? [cache.copy] : []),
  });
  return { cluster, cache, reader };
}

const at = (resourceVersion: string) => migration({}, undefined, { resourceVersion });

test('the cached copy, without a request', async (t) => {
  const { cluster, reader } = setup(at('10'), at('10'));
  t.is((await reader.read('ns', 'mig'))?.metadata.resourceVersion, '10');
  t.deepEqual(cluster.calls, []);
});

test('after a write the cache has not shown: read fresh until it does', async (t) => {
  const { cluster, cache, reader } = setup(at('10'), at('11'));
  reader.wrote(at('11'));
  t.is((await reader.read('ns', 'mig'))?.metadata.resourceVersion, '11');
  t.is((await reader.read('ns', 'mig'))?.metadata.resourceVersion, '11');
  t.deepEqual(cluster.calls, ['getMigration', 'getMigration']);
  cache.copy = at('11');
  t.is((await reader.read('ns', 'mig'))?.metadata.resourceVersion, '11');
  t.is(cluster.calls.length, 2);
});

test('a fresh read that matches the cache trusts the cache again', async (t) => {
  const { cluster, reader } = setup(at('12'), at('12'));
  reader.wrote(at('11')); // someone else wrote after: the cache is ahead
  await reader.read('ns', 'mig');
  await reader.read('ns', 'mig');
  t.deepEqual(cluster.calls, ['getMigration']);
});

test('after a conflict the next pass reads fresh, even when the cache agrees with itself', async (t) => {
  const { cluster, reader } = setup(at('10'), at('13'));
  reader.conflicted('ns/mig');
  t.is((await reader.read('ns', 'mig'))?.metadata.resourceVersion, '13');
  t.deepEqual(cluster.calls, ['getMigration']);
});

test('a Migration the cache lacks is read; one neither has is gone', async (t) => {
  const found = setup(undefined, at('10'));
  t.is((await found.reader.read('ns', 'mig'))?.metadata.resourceVersion, '10');
  const gone = setup(undefined, undefined);
  t.is(await gone.reader.read('ns', 'mig'), undefined);
  t.deepEqual(gone.cluster.calls, ['getMigration']);
});
