curl --fail --silent --show-error \
  --resolve "secure.example.com:${TERMINATE_PORT}:${GATEWAY_IP}" \
  --cacert ca.crt --cert client.crt --key client.key \
  "https://secure.example.com:${TERMINATE_PORT}/"
