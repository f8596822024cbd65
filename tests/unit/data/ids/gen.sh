#!/usr/bin/env bash
# Makes the certificates of tests/unit/cred_id_test.c (committed with this
# script; valid for 100 years) and keyids.txt, the key identifiers openssl
# computes for them.  The private keys are thrown away.
#   ca.pem     C=CH, O=strongSwan, CN=strongSwan Root CA (issues the others)
#   moon.pem   C=CH, O=strongSwan, CN=moon.strongswan.org in PrintableStrings;
#              SANs dNSName moon.strongswan.org, iPAddress 192.0.2.1 and
#              2001:db8::1, directoryName C=CH, O=strongSwan, OU=Gateways,
#              CN=moon; a subjectKeyIdentifier 5ca1ab1e0011...eeff (not the
#              key's hash, so that the extension itself is checked)
#   carol.pem  C=CH, O=strongSwan, OU=Research, CN=carol@strongswan.org in
#              UTF8Strings (openssl's default); SANs rfc822Name
#              carol@strongswan.org and dNSName *.strongswan.org; no
#              subjectKeyIdentifier
#   sun.pem    C=CH, O=strongSwan, CN=sun.strongswan.org, no SAN
# Usage: bash gen.sh   (in this directory)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=36500

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$1.key" 2>/dev/null; }
conf() { # $1 name, $2 string_mask, $3 extensions
  printf '[req]\ndistinguished_name = dn\nstring_mask = %s\n[dn]\n[ext]\n%b\n[gw_dir]\nC = CH\nO = strongSwan\nOU = Gateways\nCN = moon\n' \
    "$2" "$3" > "$tmp/$1.cnf"
}
issue() { # $1 name, $2 subject, $3 string_mask, $4 extensions
  key "$1"
  conf "$1" "$3" "$4"
  openssl req -new -key "$tmp/$1.key" -subj "$2" -config "$tmp/$1.cnf" -out "$tmp/$1.csr"
  openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey "$tmp/ca.key" -set_serial "$5" -days $days \
    -extfile "$tmp/$1.cnf" -extensions ext -out "$1.pem" 2>/dev/null
}

key ca
conf ca default 'basicConstraints = critical, CA:true\nsubjectKeyIdentifier = hash'
openssl req -new -x509 -key "$tmp/ca.key" -subj "/C=CH/O=strongSwan/CN=strongSwan Root CA" -days $days \
  -config "$tmp/ca.cnf" -extensions ext -set_serial 1 -out ca.pem

issue moon "/C=CH/O=strongSwan/CN=moon.strongswan.org" default \
  'subjectKeyIdentifier = 5ca1ab1e00112233445566778899aabbccddeeff\nsubjectAltName = DNS:moon.strongswan.org, IP:192.0.2.1, IP:2001:db8::1, dirName:gw_dir' 2
issue carol "/C=CH/O=strongSwan/OU=Research/CN=carol@strongswan.org" utf8only \
  'subjectKeyIdentifier = none\nsubjectAltName = email:carol@strongswan.org, DNS:*.strongswan.org' 3
issue sun "/C=CH/O=strongSwan/CN=sun.strongswan.org" default 'subjectKeyIdentifier = none' 4

# name ski spki_sha1 pubkey_sha1 (hex; "-" for no subjectKeyIdentifier)
for c in moon carol sun; do
  ski=$(openssl x509 -in $c.pem -noout -ext subjectKeyIdentifier 2>/dev/null | sed -n '2p' | tr -d ' :\n' | tr A-F a-f)
  openssl x509 -in $c.pem -noout -pubkey | openssl pkey -pubin -outform DER -out "$tmp/$c.spki"
  spki=$(openssl dgst -sha1 -r "$tmp/$c.spki" | cut -d' ' -f1)
  pub=$(tail -c 65 "$tmp/$c.spki" | openssl dgst -sha1 -r | cut -d' ' -f1) # the P-256 point in the BIT STRING
  echo "$c ${ski:--} $spki $pub"
done > keyids.txt
