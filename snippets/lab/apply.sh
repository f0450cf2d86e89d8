uv run scripts/lab.py apply --workdir .lab -f snippets/lab/authorize.yaml
uv run scripts/lab.py get securitypolicy only-client-a -n gateway --workdir .lab -o yaml
uv run scripts/lab.py delete --workdir .lab -f snippets/lab/authorize.yaml
uv run scripts/lab.py status --workdir .lab
