curl --silent --show-error \
  --resolve "other.example.com:${PASSTHROUGH_PORT}:${GATEWAY_IP}" \
  --cacert ca.crt --cert client.crt --key client.key \
  "https://other.example.com:${PASSTHROUGH_PORT}/"
