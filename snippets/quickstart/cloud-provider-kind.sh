cloud-provider-kind
