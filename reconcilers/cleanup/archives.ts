/**
 * Which checkpoint archives on a node belong to a Migration, by name. The kubelet names an
 * archive `checkpoint-<pod>_<namespace>-<container>-<time>.tar`, the time (RFC 3339, whole
 * seconds, the node's clock) being when the request arrived, so an archive whose name the
 * operator never learnt (its checkpoint call was interrupted) is still recognisable: same pod,
 * same container, requested while the Migration was checkpointing. Pure.
 */

export interface ArchiveSelector {
  pod: string;
  namespace: string;
  containers: string[];
  /** The window the checkpoints were requested in, inclusive, compared in whole seconds. */
  since: Date;
  until: Date;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

/** The request time in the kubelet's name of an archive of `container`, if it is one. */
export function archiveTime(
  file: string,
  pod: string,
  namespace: string,
  container: string,
): Date | undefined {
  const prefix = `checkpoint-${pod}_${namespace}-${container}-`;
  if (!file.startsWith(prefix) || !file.endsWith('.tar')) return undefined;
  const stamp = file.slice(prefix.length, -'.tar'.length);
  return RFC3339.test(stamp) ? new Date(stamp) : undefined;
}

/** The files of a checkpoint directory that are archives the selector names. */
export function selectArchives(files: string[], s: ArchiveSelector): string[] {
  const since = Math.floor(s.since.getTime() / 1000) * 1000;
  return files.filter((file) =>
    s.containers.some((container) => {
      const t = archiveTime(file, s.pod, s.namespace, container)?.getTime();
      return t !== undefined && t >= since && t <= s.until.getTime();
    }),
  );
}
