python scripts/lab.py apply --workdir .lab -f client-ca.yaml
python scripts/lab.py get gateway mtls-terminate -n gateway --workdir .lab -o yaml
