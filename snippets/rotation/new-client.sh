python3 mtls_certs.py client demo --ca ca-next --name client-a-next \
  --dns client-a.example.com --uri spiffe://example.org/client-a
