python3 mtls_certs.py inspect --ca demo/ca.crt demo/client.crt
