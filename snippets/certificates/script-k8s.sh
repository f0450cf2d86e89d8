python3 mtls_certs.py k8s demo --namespace gateway > gateway-tls.yaml
