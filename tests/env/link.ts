/**
 * A non-loopback address for the node that the API server proxies to (kube-apiserver refuses
 * to proxy to loopback, and every other kwok node is 127.0.0.1): a veth pair of this run,
 * `ctm-<pid>-a` / `ctm-<pid>-b`, with a private /30 of 10.213.0.0/16: its first address on the
 * first end, its second on the other (real-cloud's and real-cloud-23's address). The run's
 * Service range is the /28 of 10.216.0.0/14 with the same number, and its first address (the `kubernetes`
 * Service's ClusterIP) is on the first end too, so that pods reach it through the host. Local
 * traffic to these addresses needs no route of its own, so nothing else on the machine's network
 * changes. The pair goes with `remove()`; {@link removeStaleLinks} removes the pairs of runs that
 * were killed before they could.
 */
import { execFileSync } from 'node:child_process';

const NAME = /^(?:ctm-(\d+)-a|cnb-(\d+)-[ecd])$/;
const SLOTS = 1 << 14; // the /30s of 10.213.0.0/16

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The first host address of /30 number `slot` of 10.213.0.0/16. */
function hostAddress(slot: number): string {
  return `10.213.${slot >> 6}.${((slot & 63) << 2) + 1}`;
}

/** /28 number `slot` of 10.216.0.0/14 (as many /28s as there are /30s of the links). */
function serviceNetwork(slot: number): string {
  const offset = slot << 4;
  return `10.${216 + (offset >> 16)}.${(offset >> 8) & 255}.${offset & 255}`;
}

function addressesInUse(): Set<string> {
  const links = JSON.parse(ip(['-j', 'addr', 'show', 'to', '10.213.0.0/16'])) as Array<{
    addr_info?: Array<{ local?: string }>;
  }>;
  return new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')));
}

export interface NodeLink {
  /** The address, e.g. 10.213.66.129: give it to the Node as InternalIP and listen on it. */
  address: string;
  /** The /30's other address (10.213.66.130), on the pair's other end. */
  peerAddress: string;
  /** The run's Service range, e.g. 10.216.66.0/28: the API server's --service-cluster-ip-range. */
  serviceRange: string;
  /** Its first address (10.216.66.1): the `kubernetes` Service's ClusterIP, on the first end. */
  serviceAddress: string;
  /** Deletes the pair (deleting one end deletes both); never throws. */
  remove(): void;
}

/** Creates the veth pair of process `pid` with a free /30 (starting at one derived from pid). */
export function createNodeLink(pid: number): NodeLink {
  const used = addressesInUse();
  let slot = pid % SLOTS;
  while (used.has(hostAddress(slot))) slot = (slot + 1) % SLOTS;
  const address = hostAddress(slot);
  const peerAddress = address.replace(/\d+$/, (last) => String(Number(last) + 1));
  const network = serviceNetwork(slot);
  const serviceAddress = network.replace(/\d+$/, (last) => String(Number(last) + 1));
  const [a, b] = [`ctm-${pid}-a`, `ctm-${pid}-b`];
  const remove = () => {
    try {
      ip(['link', 'del', a]);
    } catch {
      // already gone
    }
  };
  try {
    ip(['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    ip(['addr', 'add', `${address}/30`, 'dev', a]);
    ip(['addr', 'add', `${serviceAddress}/32`, 'dev', a]);
    ip(['link', 'set', a, 'up']);
    ip(['addr', 'add', `${peerAddress}/30`, 'dev', b]);
    ip(['link', 'set', b, 'up']);
  } catch (err) {
    remove();
    const cause = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`cannot create the veth pair ${a}/${b} with ${address}/30: ${cause}`);
  }
  return { address, peerAddress, serviceRange: `${network}/28`, serviceAddress, remove };
}

/** Deletes the veth pairs of earlier runs whose process `isGone`. */
export function removeStaleLinks(isGone: (pid: number) => boolean): void {
  const links = JSON.parse(ip(['-j', 'link', 'show'])) as Array<{
    ifname: string;
  }>;
  for (const { ifname } of links) {
    const match = NAME.exec(ifname);
    const owner = match?.[1] ?? match?.[2];
    if (owner && isGone(Number(owner))) {
      try {
        ip(['link', 'del', ifname]);
      } catch {
        // removed meanwhile by its owner or another sweep
      }
    }
  }
}
