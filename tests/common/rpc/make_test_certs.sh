#!/bin/sh
# Test certificates, made fresh for each test run (no private keys are committed):
#   ca.pem, ca.key                  a test CA
#   server.pem, server.key          signed by it, subjectAltName DNS:localhost, IP:127.0.0.1
#   other_ca.pem, other_ca.key      an unrelated CA (a client trusting only it must fail)
#   server_encrypted.key            server.key under a passphrase (gRPC cannot use it)
# Usage: make_test_certs.sh OUT_DIR   (needs openssl 1.1.1 or later)
set -eu
out=${1:?usage: make_test_certs.sh OUT_DIR}
openssl=${OPENSSL:-openssl}
cd "$out"

ca() {  # ca NAME SUBJECT
  "$openssl" req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$1.key" -out "$1.pem" -days 2 -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
}
ca ca "/CN=zerofleet test CA"
ca other_ca "/CN=unrelated test CA"

"$openssl" req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout server.key -out server.csr -subj "/CN=localhost"
cat > server.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EOF
"$openssl" x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out server.pem -days 2 -extfile server.ext
"$openssl" pkey -in server.key -aes256 -passout pass:test -out server_encrypted.key
rm -f server.csr server.ext ca.srl
