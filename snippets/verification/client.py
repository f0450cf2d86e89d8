import http.client
import os
import socket
import ssl

GATEWAY_IP = os.environ["GATEWAY_IP"]
PORT = int(os.environ.get("TERMINATE_PORT", "443"))
HOST = "secure.example.com"  # the TLS server name (SNI) and the Host header

context = ssl.create_default_context(cafile="ca.crt")  # trust only your CA
context.load_cert_chain("client.crt", "client.key")  # present the client certificate

connection = http.client.HTTPSConnection(HOST, PORT, context=context, timeout=10)
# Connect to the Gateway's address but keep HOST for SNI and the server
# certificate check, like curl --resolve.
raw = socket.create_connection((GATEWAY_IP, PORT), timeout=10)
connection.sock = context.wrap_socket(raw, server_hostname=HOST)
connection.request("GET", "/")
response = connection.getresponse()
print(response.status)
#> 200
connection.close()
