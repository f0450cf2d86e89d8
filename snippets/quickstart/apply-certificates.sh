kubectl apply -f gateway-tls.yaml
