/**
 * The restored pod, composed the same way by Restoring and by the restore webhook: the restore
 * mode is chosen (restore-mode.ts), then the pod is either the source's copy running the
 * checkpoint images (Runtime: the container runtime restores them) or the source's copy running
 * its original images under continuum's runc wrapper (RuntimeClass, wrapper-pod.ts). A restart
 * Migration has nothing to restore: the copy runs its original images, no mode.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Migration, MigrationStatus } from '../api/types.ts';
import { archivesOf, imageOf } from './images.ts';
import type { MigrationConfig, RestoreNodes } from './model.ts';
import { chooseRestoreMode } from './restore-mode.ts';
import { deadline } from './status.ts';
import { targetPod, type Placement, type TargetPodOptions } from './target-pod.ts';
import { restoreThroughWrapper } from './wrapper-pod.ts';

export type RestoreConfig = Pick<
  MigrationConfig,
  | 'defaultPullSecret'
  | 'imagerImage'
  | 'imagePullSecret'
  | 'registryCaPem'
  | 'registryPlainHttp'
  | 'restore'
>;

export type Composed = { pod: V1Pod; mode?: 'RuntimeClass' | 'Runtime' } | { refused: string };

export function restoredPod(
  m: Migration,
  status: MigrationStatus,
  source: V1Pod,
  placement: Placement,
  known: RestoreNodes,
  cfg: RestoreConfig,
  opts: Pick<TargetPodOptions, 'name' | 'owner' | 'admitting'> = {},
): Composed {
  const images = Object.fromEntries(
    archivesOf(status).map((a) => [a.container, imageOf(status, a.container)!]),
  );
  const base = { defaultPullSecret: cfg.defaultPullSecret, ...opts };
  if (!Object.keys(images).length) return { pod: targetPod(m, source, placement, {}, base) };
  const choice = chooseRestoreMode(m, source, placement, known, Boolean(cfg.restore.signer));
  if ('refused' in choice) return choice;
  if (choice.mode === 'Runtime') {
    const tools = { image: cfg.imagerImage, pullSecret: cfg.imagePullSecret };
    return { pod: targetPod(m, source, placement, images, { ...base, tools }), mode: 'Runtime' };
  }
  const pod = targetPod(m, source, placement, {}, base);
  restoreThroughWrapper(pod, images, {
    runtimeClassName: cfg.restore.runtimeClassName,
    nodes: choice.nodes,
    signer: cfg.restore.signer!,
    expires: Math.ceil(deadline(m).getTime() / 1000),
    tools: { image: cfg.imagerImage, pullSecret: cfg.imagePullSecret },
    pullSecret: m.spec.image?.pullSecretRef?.name ?? cfg.defaultPullSecret,
    registryPlainHttp: cfg.registryPlainHttp,
    ...(cfg.registryCaPem ? { registryCaPem: cfg.registryCaPem } : {}),
  });
  return { pod, mode: 'RuntimeClass' };
}
