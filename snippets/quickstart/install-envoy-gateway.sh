# Envoy Gateway's own CRDs only: the Gateway API CRDs are already installed.
helm template eg-crds oci://docker.io/envoyproxy/gateway-crds-helm --version v1.9.0 \
  --set crds.envoyGateway.enabled=true --set crds.gatewayAPI.enabled=false \
  | kubectl apply --server-side -f -
helm install eg oci://docker.io/envoyproxy/gateway-helm --version v1.9.0 \
  --namespace envoy-gateway-system --create-namespace --set crds.enabled=false
kubectl wait deployment/envoy-gateway --namespace envoy-gateway-system \
  --for=condition=Available --timeout=5m
