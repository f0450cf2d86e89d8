python3 mtls_certs.py init demo --dns secure.example.com || echo "exit code $?"
