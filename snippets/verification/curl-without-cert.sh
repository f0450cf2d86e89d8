curl --silent --show-error \
  --resolve "secure.example.com:${TERMINATE_PORT}:${GATEWAY_IP}" \
  --cacert ca.crt \
  "https://secure.example.com:${TERMINATE_PORT}/"
