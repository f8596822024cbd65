#!/usr/bin/env bash
# Makes the certificates of tests/exchange/cert_test.c with the openssl CLI
# (OpenSSL 3).  Run once; the outputs are committed.  Validity: 100 years,
# except short.pem (1 day from when this ran: expired for the test's clock).
# Test keys only: never use them for anything else.
set -euo pipefail
cd "$(dirname "$0")"
rm -f ./*.pem ./*.key ./*.srl
D=36500
ext() { printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=%s\n' "$1"; }
ca_ext='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash'
# root CA (ECDSA P-256), an intermediate (ECDSA P-384), an untrusted CA
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -days $D -subj "/C=CH/O=kite/CN=kite Test Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
openssl ecparam -name secp384r1 -genkey -noout -out mid.key
openssl req -new -key mid.key -subj "/C=CH/O=kite/CN=kite Test Intermediate CA" -out mid.csr
openssl x509 -req -in mid.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $D \
  -extfile <(printf "$ca_ext\n") -out mid.pem
openssl ecparam -name prime256v1 -genkey -noout -out evilca.key
openssl req -x509 -new -key evilca.key -days $D -subj "/C=XX/O=Evil/CN=Evil CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out evilca.pem
# end entities: name keyspec issuer subject SAN [days]
ee() {
  local name=$1 spec=$2 issuer=$3 subj=$4 san=$5 days=${6:-$D}
  case $spec in
    ec:*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${spec#ec:} -out "$name.key" ;;
    rsa:*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${spec#rsa:} -out "$name.key" ;;
    pss:*) openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:${spec#pss:} -out "$name.key" ;;
    *) openssl genpkey -algorithm "$spec" -out "$name.key" ;;
  esac
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial -days "$days" \
    -extfile <(ext "$san") -out "$name.pem"
  rm -f "$name.csr"
}
ee moon ec:P-256 ca "/C=CH/O=kite/CN=moon.example" "DNS:moon.example"
ee sun rsa:3072 mid "/C=CH/O=kite/CN=sun.example" "DNS:sun.example,email:sun@example.org"
ee carol ED25519 ca "/C=CH/O=kite/OU=Research/CN=carol" "email:carol@example.org"
ee dave pss:3072 ca "/C=CH/O=kite/CN=dave.example" "DNS:dave.example"
ee venus ED448 ca "/C=CH/O=kite/CN=venus.example" "DNS:venus.example,IP:192.0.2.7"
ee mars ec:P-384 ca "/C=CH/O=kite/CN=mars.example" "DNS:mars.example"
ee evil ec:P-256 evilca "/C=CH/O=kite/CN=moon.example" "DNS:moon.example"
ee jupiter rsa:4096 mid "/C=CH/O=kite/CN=jupiter.example" "DNS:jupiter.example"
ee short ec:P-256 ca "/C=CH/O=kite/CN=short.example" "DNS:short.example" 1
rm -f mid.csr ./*.srl
openssl x509 -in short.pem -noout -enddate > short.enddate
