python3 mtls_certs.py rotate-ca demo
kubectl create configmap client-ca --namespace gateway \
  --from-file=ca.crt=demo/ca-bundle.crt --dry-run=client -o yaml > client-ca.yaml
