kubectl create secret tls secure-example-com-tls --namespace gateway \
  --cert=server.crt --key=server.key --dry-run=client -o yaml > server-secret.yaml
kubectl create configmap client-ca --namespace gateway \
  --from-file=ca.crt=ca.crt --dry-run=client -o yaml > client-ca.yaml
