kubectl apply -f gateway.yaml -f httproute.yaml -f client-identity.yaml
kubectl wait gateway/mtls-terminate --namespace gateway \
  --for=condition=Programmed --timeout=5m
