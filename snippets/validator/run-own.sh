python scripts/validate_manifests.py --lint-errors my-gateway/
python scripts/validate_manifests.py --channel experimental tlsroute-v1alpha2.yaml
kubectl kustomize overlays/prod | python scripts/validate_manifests.py -
