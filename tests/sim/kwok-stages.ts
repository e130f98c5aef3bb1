/**
 * kwok pod stages for the SIMULATED node level. kwok's default pod stages mark every pod on
 * its nodes Running and complete pods of Jobs at once with exit code 0; here pods that the
 * simulated job runner executes (pods of Jobs, labelled `batch.kubernetes.io/job-name` by the
 * Job controller, and pods labelled `sim.continuum.dev/run`) are left alone entirely: the
 * runner writes their status and completes their deletion, as their kubelet. Everything else
 * behaves as with kwok's defaults (ready at once; deletion completes at once). Node stages
 * stay kwok's defaults.
 *
 * Use: `kwok … --config=<writeKwokStages(dir)>`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_LABEL } from './job-runner.ts';

const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

const STAGES = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.podIP'
      operator: 'DoesNotExist'
    - key: '.metadata.labels["${JOB_NAME_LABEL}"]'
      operator: 'DoesNotExist'
    - key: '.metadata.labels["${RUN_LABEL}"]'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: ContainersReady
      {{ range .spec.readinessGates }}
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: {{ .conditionType | Quote }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
    - key: '.metadata.labels["${JOB_NAME_LABEL}"]'
      operator: 'DoesNotExist'
    - key: '.metadata.labels["${RUN_LABEL}"]'
      operator: 'DoesNotExist'
  next:
    finalizers:
      empty: true
    delete: true
`;

/** Writes the stage configuration into `dir`; returns the path to pass as `kwok --config=`. */
export function writeKwokStages(dir: string): string {
  const path = join(dir, 'kwok-stages.yaml');
  writeFileSync(path, STAGES);
  return path;
}
