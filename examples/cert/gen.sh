#!/usr/bin/env bash
# Makes the credentials of the certificate example (DEMO ONLY: a throw-away CA
# whose key is left in OUT/ca; never use it for anything real) and lays out
# OUT/left and OUT/right as kited and swanctl expect them beside swanctl.conf:
#   x509ca/ca.pem          the CA both trust
#   x509/<side>.pem        the side's own certificate
#   private/<side>.key     its private key (PKCS#8 PEM, ECDSA P-256)
#   swanctl.conf           a copy of examples/cert/<side>/swanctl.conf
# Usage: examples/cert/gen.sh OUT        (needs the openssl command)
set -euo pipefail
OUT=${1:?usage: $0 OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
umask 077
mkdir -p "$OUT/ca"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# the CA: self-signed, 10 years
key "$OUT/ca/ca.key"
openssl req -x509 -new -key "$OUT/ca/ca.key" -subj "/C=CH/O=kite demo/CN=kite demo CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$OUT/ca/ca.pem" 2>/dev/null

# SIDE: its key and a certificate with subject C=CH, O=kite demo, CN=SIDE.example
# and subjectAltName DNS:SIDE.example, issued by the CA
for side in left right; do
  d=$OUT/$side
  mkdir -p "$d/x509" "$d/x509ca" "$d/private"
  key "$d/private/$side.key"
  openssl req -new -key "$d/private/$side.key" -subj "/C=CH/O=kite demo/CN=$side.example" 2>/dev/null |
    openssl x509 -req -CA "$OUT/ca/ca.pem" -CAkey "$OUT/ca/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 3650 -out "$d/x509/$side.pem" -extfile <(printf '%s\n' \
        "subjectAltName=DNS:$side.example" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth,clientAuth") 2>/dev/null
  cp "$OUT/ca/ca.pem" "$d/x509ca/ca.pem"
  cp "$HERE/$side/swanctl.conf" "$d/swanctl.conf"
  chmod 644 "$d/swanctl.conf" "$d/x509/$side.pem" "$d/x509ca/ca.pem"
done
echo "demo credentials in $OUT/left and $OUT/right (the CA's key in $OUT/ca: demo only)"
