kubectl delete -f gateway.yaml -f httproute.yaml -f client-identity.yaml \
  -f gateway-tls.yaml -f backend.yaml -f namespace-and-class.yaml
helm uninstall eg --namespace envoy-gateway-system
kind delete cluster --name mtls-quickstart
