GATEWAY_IP=$(kubectl get gateway mtls-terminate --namespace gateway \
  -o jsonpath='{.status.addresses[0].value}')
TERMINATE_PORT=443
echo "the Gateway listens on ${GATEWAY_IP}:${TERMINATE_PORT}"
