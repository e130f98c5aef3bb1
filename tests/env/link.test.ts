/**
 * The veth link of the proxy node: a private /30 address on this machine, gone after
 * `remove()`, and swept when its owner is gone while the links of live owners stay.
 */
import { execFileSync } from 'node:child_process';
import test from 'ava';
import { createNodeLink, removeStaleLinks } from './link.ts';

/** Names of the links that carry `address`. */
const linksWith = (address: string): string[] =>
  (
    JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', 'to', address], { encoding: 'utf8' })) as {
      ifname: string;
    }[]
  ).map((l) => l.ifname);

/** A process id that no process has (the highest ones are free on a small machine). */
function deadPid(): number {
  for (let pid = 4_194_000; ; pid++) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

test.serial('a node link has a private /30 address of its own, gone after remove()', (t) => {
  const link = createNodeLink(process.pid);
  try {
    t.regex(link.address, /^10\.213\.\d+\.\d+$/);
    t.is(Number(link.address.split('.')[3]) % 4, 1, 'the first host of a /30');
    t.deepEqual(linksWith(link.address), [`ctm-${process.pid}-a`]);
    t.is(Number(link.peerAddress.split('.')[3]), Number(link.address.split('.')[3]) + 1);
    t.deepEqual(linksWith(link.peerAddress), [`ctm-${process.pid}-b`], 'the other host, other end');
  } finally {
    link.remove();
  }
  t.deepEqual(linksWith(link.address), []);
  t.deepEqual(linksWith(link.peerAddress), []);
  t.notThrows(() => link.remove(), 'removing twice is harmless');
});

test.serial('the sweep removes the links of gone owners only', (t) => {
  const pid = deadPid();
  const stale = createNodeLink(pid);
  const live = createNodeLink(process.pid);
  try {
    t.not(stale.address, live.address);
    removeStaleLinks((owner) => owner === pid);
    t.deepEqual(linksWith(stale.address), []);
    t.deepEqual(linksWith(live.address), [`ctm-${process.pid}-a`]);
  } finally {
    stale.remove();
    live.remove();
  }
});
