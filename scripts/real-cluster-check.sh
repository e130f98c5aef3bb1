#!/usr/bin/env bash
# Checks continuum on a REAL cluster (not run in CI): starts a counter on an edge node, migrates
# it by checkpoint/restore, and checks that the restored counter continued from where it was
# instead of starting again from 0.
#
# Needs: kubectl pointing at a cluster where the continuum chart is installed; the kubelet's
# ContainerCheckpoint feature on the edge node; a cloud node that restores checkpoint images
# (CRI-O with container_level_enabled = "checkpoint_restore", or containerd >= 2.1); a registry
# with push and pull Secrets (kubernetes.io/dockerconfigjson) in the namespace.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/real-cluster-check.sh --edge-node NODE --repository REPO
         [--namespace NS] [--push-secret NAME] [--pull-secret NAME] [--cloud-selector K=V]
         [--image IMAGE] [--keep]

  --edge-node NODE       node the counter starts on (an edge node)
  --repository REPO      registry repository for the checkpoint image, e.g. registry.example.com/ckpt
  --namespace NS         namespace to use (default continuum-check; created if missing)
  --push-secret NAME     dockerconfigjson Secret to push with (default registry-push)
  --pull-secret NAME     dockerconfigjson Secret to pull with (default registry-pull)
  --cloud-selector K=V   label of the target nodes (default continuum.dev/layer=cloud)
  --image IMAGE          the counter's image, with sh and sleep (default
                         busybox:1.36; on an air-gapped cluster, a copy in your registry, pulled
                         with the pull Secret)
  --keep                 keep the namespace's objects afterwards
USAGE
}

namespace=continuum-check push=registry-push pull=registry-pull cloud=continuum.dev/layer=cloud
edge='' repository='' keep=false image=busybox:1.36
while [ $# -gt 0 ]; do
  case "$1" in
    --edge-node) edge=${2:?--edge-node needs a value}; shift 2 ;;
    --repository) repository=${2:?--repository needs a value}; shift 2 ;;
    --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --push-secret) push=${2:?--push-secret needs a value}; shift 2 ;;
    --pull-secret) pull=${2:?--pull-secret needs a value}; shift 2 ;;
    --cloud-selector) cloud=${2:?--cloud-selector needs a value}; shift 2 ;;
    --image) image=${2:?--image needs a value}; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "real-cluster-check: unknown flag $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$edge" ] && [ -n "$repository" ] || { usage >&2; exit 2; }
case "$cloud" in *=*) ;; *) echo "real-cluster-check: --cloud-selector must be KEY=VALUE" >&2; exit 2 ;; esac

say() { printf '▸ %s\n' "$*"; }
k() { kubectl -n "$namespace" "$@"; }
last_count() { k logs "$1" --tail=1 | tr -dc '0-9'; }

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace" >/dev/null
for secret in "$push" "$pull"; do
  k get secret "$secret" >/dev/null || { echo "real-cluster-check: Secret $namespace/$secret is missing" >&2; exit 1; }
done
[ "$keep" = true ] || trap 'k delete migration counter-move pod counter --ignore-not-found --wait=false >/dev/null' EXIT

say "counter on $edge"
k apply -f - >/dev/null <<POD
apiVersion: v1
kind: Pod
metadata: { name: counter, labels: { app: continuum-counter } }
spec:
  nodeName: $edge
  imagePullSecrets: [{ name: $pull }]
  containers:
    - name: counter
      image: $image
      command: [sh, -c, 'i=0; while true; do echo \$i; i=\$((i+1)); sleep 1; done']
POD
k wait --for=condition=Ready pod/counter --timeout=120s >/dev/null
sleep 10
before=$(last_count counter)
say "counter reached $before; migrating it by checkpoint/restore"

k apply -f - >/dev/null <<MIGRATION
apiVersion: continuum.dev/v1alpha1
kind: Migration
metadata: { name: counter-move }
spec:
  podName: counter
  restorePolicy: checkpoint
  target: { nodeSelector: { ${cloud%%=*}: "${cloud#*=}" } }
  image: { repository: $repository, pushSecretRef: { name: $push }, pullSecretRef: { name: $pull } }
  timeoutSeconds: 600
  reason: real-cluster check
MIGRATION
for _ in $(seq 1 600); do
  phase=$(k get migration counter-move -o jsonpath='{.status.phase}')
  case "$phase" in
    Done) break ;;
    Failed) echo "real-cluster-check: Migration failed: $(k get migration counter-move -o jsonpath='{.status.failureReason}')" >&2; exit 1 ;;
  esac
  sleep 1
done
[ "$phase" = Done ] || { echo "real-cluster-check: Migration not Done after 600 s (phase $phase)" >&2; exit 1; }
target=$(k get migration counter-move -o jsonpath='{.status.targetPod}')
say "restored as $target on $(k get migration counter-move -o jsonpath='{.status.targetNode}')"
k wait --for=condition=Ready "pod/$target" --timeout=120s >/dev/null
sleep 3
after=$(last_count "$target")
if [ -z "$after" ] || [ "$after" -lt "$before" ]; then
  echo "real-cluster-check: FAILED: the counter was at $before before, $after after: it restarted" >&2
  exit 1
fi
say "OK: the counter continued ($before before the checkpoint, $after after the restore)"
