/**
 * The table runner of the decide tests: each row gives the observed state and the time, and
 * expects the phase, the failure reason and the actions (and optionally checks more).
 */
import test, { type ExecutionContext } from 'ava';
import type { MigrationPhase } from '../../reconcilers/api/types.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import type {
  Action,
  Decision,
  MigrationConfig,
  Observed,
} from '../../reconcilers/migration/model.ts';
import { at, config } from './fixtures.ts';

export interface Row {
  name: string;
  given: Observed;
  now?: Date;
  config?: MigrationConfig;
  phase: MigrationPhase;
  reason?: string;
  actions: string[];
  check?: (t: ExecutionContext, d: Decision) => void;
}

/** `type` or `type:detail` for each action, in order. */
function kinds(actions: Action[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'checkpoint':
        return `checkpoint:${a.container}`;
      case 'deletePod':
        return `deletePod:${a.why}:${a.name}`;
      default:
        return a.type;
    }
  });
}

/** One test per row, named `decide: <row name>`; decide must not mutate what it observed. */
export function testRows(rows: Row[]): void {
  for (const row of rows) {
    test(`decide: ${row.name}`, (t) => {
      const before = structuredClone(row.given);
      const d = decide(row.given, row.now ?? at(10), row.config ?? config);
      t.is(d.status.phase, row.phase);
      t.is(d.status.failureReason, row.reason);
      t.deepEqual(kinds(d.actions), row.actions);
      row.check?.(t, d);
      t.deepEqual(row.given, before, 'decide never mutates what it observed');
    });
  }
}
