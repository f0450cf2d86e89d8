openssl s_client -connect "${GATEWAY_IP}:${TERMINATE_PORT}" \
  -servername secure.example.com -CAfile ca.crt \
  -cert client.crt -key client.key -brief </dev/null
