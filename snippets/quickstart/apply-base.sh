kubectl apply -f namespace-and-class.yaml -f backend.yaml
kubectl wait deployment/secure-app --namespace gateway --for=condition=Available --timeout=5m
