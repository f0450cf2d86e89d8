python3 mtls_certs.py init demo --dns secure.example.com --client-cn client-a \
  --client-uri spiffe://example.org/client-a --client-dns client-a.example.com
