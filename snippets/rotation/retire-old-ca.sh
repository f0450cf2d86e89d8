kubectl create configmap client-ca --namespace gateway \
  --from-file=ca.crt=demo/ca-next.crt --dry-run=client -o yaml > client-ca.yaml
