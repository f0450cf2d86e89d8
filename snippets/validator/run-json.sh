python scripts/validate_manifests.py --output json snippets/passthrough/https-passthrough-rejected.yaml
