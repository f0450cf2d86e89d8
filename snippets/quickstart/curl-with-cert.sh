curl --fail --silent --show-error \
  --resolve "secure.example.com:${TERMINATE_PORT}:${GATEWAY_IP}" \
  --cacert pki/ca.crt --cert pki/client.crt --key pki/client.key \
  "https://secure.example.com:${TERMINATE_PORT}/" | grep -o 'URI=[^;",]*'
