kind create cluster --name mtls-quickstart
