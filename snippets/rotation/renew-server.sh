python3 mtls_certs.py server demo --dns secure.example.com --force
kubectl create secret tls secure-example-com-tls --namespace gateway \
  --cert=demo/server.crt --key=demo/server.key --dry-run=client -o yaml > server-secret.yaml
