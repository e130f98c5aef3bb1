/**
 * The restored pod when continuum's runc wrapper restores it (restoreMode RuntimeClass): every
 * container keeps its original image, which the kubelet pulls with the pod's pull Secrets; the
 * pod runs under the wrapper's RuntimeClass, only on nodes where the wrapper is ready; an init
 * container of the product image fetches each checkpoint image by digest into an emptyDir
 * (`continuum fetch-checkpoint`), which the checkpointed containers mount where the wrapper
 * looks for it (and removes before the workload sees it); and the signed restore ticket names
 * each container's checkpoint. A fresh copy of the pod (the fallback) has none of that.
 */
import type {
  V1Container,
  V1Pod,
  V1PodSpec,
  V1ResourceRequirements,
} from '@kubernetes/client-node';
import {
  CHECKPOINT_MOUNT,
  CHECKPOINT_VOLUME,
  signTicket,
  TICKET_ANNOTATION,
} from '../restore/ticket.ts';
import { quantityValue } from './quantity.ts';

const FETCH_CONTAINER = 'continuum-checkpoint';
const PULL_VOLUME = 'continuum-pull';
const PULL_DIR = '/continuum-pull';
/** Where the fetch container writes: not CHECKPOINT_MOUNT, which the wrapper hides from every container it creates. */
const FETCH_DIR = '/checkpoints';
/**
 * The least memory limit the fetch container runs under: it runs the product's Node.js, which a
 * small workload's own limit does not hold (measured on the real nodes: crash-looping under
 * 12Mi, so the restore fell back to a fresh start; 32Mi held, with a margin the node's page
 * cache decides).
 */
const FETCH_MEMORY = '64Mi';

/**
 * The fetch container's resources: the first container's, so that the pod keeps its QoS class,
 * with a memory limit below {@link FETCH_MEMORY} raised to it (and its request with it where
 * the two were equal: a Guaranteed pod stays Guaranteed).
 */
export function fetchResources(app?: V1ResourceRequirements): V1ResourceRequirements | undefined {
  const limit = app?.limits?.memory;
  if (!app || limit === undefined || !(quantityValue(limit) < quantityValue(FETCH_MEMORY)))
    return app;
  const request = app.requests?.memory;
  const requests =
    request !== undefined && quantityValue(request) === quantityValue(limit)
      ? { ...app.requests, memory: FETCH_MEMORY }
      : app.requests;
  return {
    ...app,
    limits: { ...app.limits, memory: FETCH_MEMORY },
    ...(requests ? { requests } : {}),
  };
}

export interface WrapperSettings {
  runtimeClassName: string;
  /** Nodes where the wrapper is ready (the pod may only go there). */
  nodes: string[];
  signer: { issuer: string; key: Buffer };
  /** Seconds since the epoch after which the ticket restores nothing. */
  expires: number;
  /** The product image (fetch-checkpoint) and the Secret that pulls it. */
  tools: { image: string; pullSecret?: string };
  /** dockerconfigjson Secret the checkpoint images are pulled with. */
  pullSecret?: string;
  registryCaPem?: string;
  registryPlainHttp: boolean;
}

/** Makes `pod` (the source's copy, original images) restore `images` through the wrapper. */
export function restoreThroughWrapper(
  pod: V1Pod,
  images: Record<string, string>,
  s: WrapperSettings,
): void {
  const spec = pod.spec!;
  spec.runtimeClassName = s.runtimeClassName;
  spec.affinity = {
    ...spec.affinity,
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: s.nodes }] },
        ],
      },
    },
  };
  const checkpointed = Object.keys(images);
  for (const c of spec.containers)
    if (checkpointed.includes(c.name))
      c.volumeMounts = [
        ...(c.volumeMounts ?? []),
        { name: CHECKPOINT_VOLUME, mountPath: CHECKPOINT_MOUNT, readOnly: true },
      ];
  const fetch: V1Container = {
    name: FETCH_CONTAINER,
    image: s.tools.image,
    command: ['continuum', 'fetch-checkpoint'],
    args: [
      ...Object.entries(images).flatMap(([c, image]) => ['--image', image, '--container', c]),
      '--dir',
      FETCH_DIR,
      ...(s.pullSecret ? ['--docker-config', `${PULL_DIR}/.dockerconfigjson`] : []),
      ...(s.registryPlainHttp ? ['--plain-http'] : []),
    ],
    ...(s.registryCaPem ? { env: [{ name: 'CONTINUUM_CA_PEM', value: s.registryCaPem }] } : {}),
    volumeMounts: [
      { name: CHECKPOINT_VOLUME, mountPath: FETCH_DIR },
      ...(s.pullSecret ? [{ name: PULL_VOLUME, mountPath: PULL_DIR, readOnly: true }] : []),
    ],
    resources: fetchResources(spec.containers[0]!.resources),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
  spec.initContainers = [fetch, ...(spec.initContainers ?? [])];
  spec.volumes = [
    ...(spec.volumes ?? []),
    { name: CHECKPOINT_VOLUME, emptyDir: {} },
    ...(s.pullSecret ? [{ name: PULL_VOLUME, secret: { secretName: s.pullSecret } }] : []),
  ];
  if (s.tools.pullSecret && !spec.imagePullSecrets?.some((p) => p.name === s.tools.pullSecret))
    spec.imagePullSecrets = [...(spec.imagePullSecrets ?? []), { name: s.tools.pullSecret }];
  const digests = Object.fromEntries(
    Object.entries(images).map(([c, image]) => [c, image.slice(image.indexOf('@') + 1)]),
  );
  pod.metadata!.annotations = {
    ...pod.metadata!.annotations,
    [TICKET_ANNOTATION]: signTicket(
      s.signer,
      { namespace: pod.metadata!.namespace!, pod: pod.metadata!.name! },
      digests,
      s.expires,
    ),
  };
}

/** Whether `pod` restores through the wrapper. */
export function restoresThroughWrapper(pod: V1Pod): boolean {
  return TICKET_ANNOTATION in (pod.metadata?.annotations ?? {});
}

/** `pod` without what {@link restoreThroughWrapper} added (its placement aside). */
export function withoutWrapperRestore(pod: V1Pod): void {
  if (!restoresThroughWrapper(pod)) return;
  const spec: V1PodSpec = pod.spec!;
  delete pod.metadata!.annotations![TICKET_ANNOTATION];
  delete spec.runtimeClassName;
  spec.initContainers = spec.initContainers?.filter((c) => c.name !== FETCH_CONTAINER);
  spec.volumes = spec.volumes?.filter(
    (v) => v.name !== CHECKPOINT_VOLUME && v.name !== PULL_VOLUME,
  );
  for (const c of spec.containers)
    c.volumeMounts = c.volumeMounts?.filter((v) => v.name !== CHECKPOINT_VOLUME);
}
