umask 077  # private keys readable by you only
cat > ca.cnf <<'CNF'
[req]
prompt = no
distinguished_name = subject
x509_extensions = ca
[subject]
CN = Example mTLS CA
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
openssl req -x509 -new -config ca.cnf -key ca.key -sha256 -days 3650 -out ca.crt
