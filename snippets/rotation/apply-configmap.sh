kubectl apply -f client-ca.yaml
