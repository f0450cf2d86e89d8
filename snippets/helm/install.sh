helm install mtls-gateway dev2prod/gateway-api --namespace gateway --values values.yaml
