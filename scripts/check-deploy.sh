#!/usr/bin/env bash
# Validates the deployment kit without a cluster or a Prometheus server:
#   - kustomize build k8s/, then kubeconform -strict on the result and on the Secret template,
#     against JSON schemas made from the OpenAPI document of a Kubernetes release (the
#     k8s.io/kubernetes Go module; no schema registry needed). ServiceMonitor and PrometheusRule
#     are CRDs without such schemas: their rules are checked by promtool below.
#   - promtool check rules and promtool test rules (k8s/tests/alerts_test.yml) on the rule file
#     that is the PrometheusRule's spec.
# Needs kustomize, kubeconform (go install, see .ci/run) and promtool (Debian's prometheus).
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE_VERSION=${KUBE_VERSION:-v1.34.0}
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
# The pinned ones .ci/run installs first, else whatever PATH has.
kustomize=$gobin/kustomize
[ -x "$kustomize" ] || kustomize=$(command -v kustomize)
kubeconform=$gobin/kubeconform
[ -x "$kubeconform" ] || kubeconform=$(command -v kubeconform)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "kubernetes schemas of $KUBE_VERSION"
kube_dir=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -f "$kube_dir/api/openapi-spec/swagger.json" ] || { echo "no OpenAPI document in k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }
go run ./scripts/kubeschema -openapi "$kube_dir/api/openapi-spec/swagger.json" -out "$work/schemas"

echo "kustomize build k8s | kubeconform"
"$kustomize" build k8s > "$work/k8s.yaml"
"$kubeconform" -strict -summary -skip ServiceMonitor,PrometheusRule \
  -schema-location "$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  "$work/k8s.yaml" k8s/secret.example.yaml
# The Secret template must never be applied with the kit (it would overwrite real secrets).
if grep -q '^kind: Secret' "$work/k8s.yaml"; then
  echo "kustomize build k8s contains a Secret; the template must stay out of kustomization.yaml" >&2
  exit 1
fi

echo "promtool check rules / test rules"
sed -n '/^spec:$/,$p' k8s/prometheusrule.yaml | tail -n +2 | sed 's/^  //' > "$work/setupranali.rules.yml"
cp k8s/tests/alerts_test.yml "$work/"
promtool check rules "$work/setupranali.rules.yml"
promtool test rules "$work/alerts_test.yml"
