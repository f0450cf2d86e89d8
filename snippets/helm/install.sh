helm repo add dev2prod https://charts.cdnn.host/
helm repo update dev2prod
helm install mtls-gateway dev2prod/gateway-api --version 1.0.5 \
  --namespace gateway --create-namespace --skip-crds --values values.yaml
kubectl apply -f api-secret.yaml -f client-ca.yaml
