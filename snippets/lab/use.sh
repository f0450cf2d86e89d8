set -a; . .lab/lab.env; set +a
cd "$PKI_DIR"
