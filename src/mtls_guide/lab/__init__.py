"""The local lab: the guide's Gateway manifests running on a real Envoy, on loopback."""
