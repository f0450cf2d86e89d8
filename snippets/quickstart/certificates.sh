python3 mtls_certs.py init pki --dns secure.example.com --client-cn client-a \
  --client-uri spiffe://example.org/client-a --client-dns client-a.example.com
python3 mtls_certs.py k8s pki --namespace gateway > gateway-tls.yaml
