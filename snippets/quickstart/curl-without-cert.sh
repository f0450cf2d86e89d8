curl --silent --tls-max 1.2 \
  --resolve "secure.example.com:${TERMINATE_PORT}:${GATEWAY_IP}" \
  --cacert pki/ca.crt "https://secure.example.com:${TERMINATE_PORT}/" \
  || echo "refused: curl exit code $?"
