openssl verify -CAfile ca.crt -purpose sslserver server.crt
openssl verify -CAfile ca.crt -purpose sslclient client.crt
