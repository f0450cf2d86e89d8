python scripts/validate_manifests.py --output github snippets/passthrough/https-passthrough-rejected.yaml
