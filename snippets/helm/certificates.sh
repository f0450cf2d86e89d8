python3 mtls_certs.py server demo --dns api.example.com --name api
kubectl create secret tls api-example-com-tls --namespace gateway \
  --cert=demo/api.crt --key=demo/api.key --dry-run=client -o yaml > api-secret.yaml
kubectl create configmap client-ca --namespace gateway \
  --from-file=ca.crt=demo/ca.crt --dry-run=client -o yaml > client-ca.yaml
