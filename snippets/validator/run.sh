python scripts/validate_manifests.py snippets/passthrough/https-passthrough-rejected.yaml
