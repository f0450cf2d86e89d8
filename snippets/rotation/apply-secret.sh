kubectl apply -f server-secret.yaml
