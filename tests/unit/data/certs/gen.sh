#!/bin/sh
# Makes the certificates, keys and CRLs of tests/unit/cred_store_test.c and
# cred_verify_test.c with the openssl CLI.  Run once from anywhere; the
# outputs are committed.  Every certificate is valid for 100 years from the
# day it was made (the tests check at fixed times well inside that), except
# x509/expiredCert.pem, valid from 2010-01-01 to 2020-01-01.
#
# Layout (as swanctl finds credentials beside swanctl.conf):
#   x509ca/  rootCert.pem (self-signed, RSA-3072), interCert.der (DER, P-256,
#            signed by root),
#            badcaCert.pem (signed by root with pathlen:0, so an EE under its
#            sub-CA breaks the path length), ncCert.pem (name constraint
#            permitted dirName C=CH, O=strongSwan), ncsubCert.pem (under badca)
#   x509/    end-entities signed by the intermediate: rsa3072, rsapss, p256,
#            p384, p521, ed25519, ed448 (RSA-PSS: 2048 bits); revoked (listed
#            in inter.crl), expired; under root: direct; evil (by an untrusted CA,
#            whose certificate is only in the other/ directory)
#            pathlen (under ncsub, breaking badca's pathlen:0),
#            ncbad (under ncCert, O=Evil outside the constraint), ncgood
#            (under ncCert, inside it), ku (key usage keyEncipherment only:
#            no signatures), cdp (with a CRL distribution point)
#   keys:    rsa/rsa3072Key.pem PKCS#1 PEM; ecdsa/p256Key.pem SEC1 PEM;
#            ecdsa/p521Key.der SEC1 DER; pkcs8/p384Key.der PKCS#8 DER;
#            pkcs8/rsapssKey.der encrypted PKCS#8 DER (passphrase "kite-pss");
#            private/ed25519Key.pem PKCS#8 PEM; private/ed448Key.pem
#            encrypted PKCS#8 PEM ("kite-ed448"); private/rootKey.pem PKCS#1
#            PEM with legacy PEM encryption ("kite-root"); the other EEs'
#            keys PKCS#8 PEM in private/
#   x509crl/ inter.crl (PEM, revokes revokedCert.pem), root.crl (DER, empty)
#   revoked_at.txt: the revocation time inter.crl gives revokedCert.pem
#   certreq.txt: "file sha1-of-subjectPublicKeyInfo" per CA, computed
#            with openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha1sum
set -eu
cd "$(dirname "$0")"
rm -rf x509 x509ca x509crl private rsa ecdsa pkcs8 other work certreq.txt
mkdir -p x509 x509ca x509crl private rsa ecdsa pkcs8 other work
DAYS=36525
SAN=none.strongswan.org; export SAN
W=work

cat > $W/ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca0]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[canc]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = critical, permitted;dirName:nc_dn
[nc_dn]
C = CH
O = strongSwan
[ee]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$ENV::SAN
[eeku]
basicConstraints = CA:FALSE
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$ENV::SAN
[eecdp]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$ENV::SAN
crlDistributionPoints = URI:http://crl.strongswan.org/inter.crl
CNF
cat > $W/ca.cnf <<'CNF'
[ca]
default_ca = c
[c]
database = $ENV::DB
default_md = sha256
default_crl_days = 36525
crl_extensions = crlext
rand_serial = yes
unique_subject = no
policy = pol
copy_extensions = none
[pol]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[crlext]
authorityKeyIdentifier = keyid
CNF

key() { openssl genpkey -quiet "$@"; }
# selfsign KEY SUBJ OUT
selfsign() {
    openssl req -new -x509 -key "$1" -subj "$2" -days $DAYS -sha256 -out "$3" \
        -config $W/ext.cnf -extensions ca -set_serial 0x$(openssl rand -hex 8)
}
# sign KEY SUBJ CAKEY CACERT EXT OUT [SAN] [extra x509 args]
sign() {
    k=$1 s=$2 ck=$3 cc=$4 e=$5 o=$6; SAN=${7:-none.strongswan.org}; export SAN
    if [ $# -ge 7 ]; then shift 7; else shift $#; fi
    openssl req -new -key "$k" -subj "$s" -out $W/req.csr
    openssl x509 -req -in $W/req.csr -CA "$cc" -CAkey "$ck" -set_serial 0x$(openssl rand -hex 8) \
        -days $DAYS -sha256 -extfile $W/ext.cnf -extensions "$e" -out "$o" "$@"
}

# CAs
key -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out $W/root.key
selfsign $W/root.key "/C=CH/O=strongSwan/CN=strongSwan Root CA" x509ca/rootCert.pem
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/inter.key
sign $W/inter.key "/C=CH/O=strongSwan/OU=Intermediate/CN=strongSwan Intermediate CA" \
    $W/root.key x509ca/rootCert.pem ca $W/inter.pem
openssl x509 -in $W/inter.pem -outform DER -out x509ca/interCert.der
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/badca.key
sign $W/badca.key "/C=CH/O=strongSwan/CN=Pathlen0 CA" $W/root.key x509ca/rootCert.pem ca0 x509ca/badcaCert.pem
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/ncsub.key
sign $W/ncsub.key "/C=CH/O=strongSwan/CN=Sub of Pathlen0 CA" $W/badca.key x509ca/badcaCert.pem ca x509ca/ncsubCert.pem
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/nc.key
sign $W/nc.key "/C=CH/O=strongSwan/CN=Constrained CA" $W/root.key x509ca/rootCert.pem canc x509ca/ncCert.pem
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/evilca.key
selfsign $W/evilca.key "/C=CH/O=Evil/CN=Evil CA" other/evilcaCert.pem

# end-entities under the intermediate, one per key type
key -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out $W/rsa3072.key
key -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out $W/rsapss.key
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/p256.key
key -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out $W/p384.key
key -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out $W/p521.key
key -algorithm ED25519 -out $W/ed25519.key
key -algorithm ED448 -out $W/ed448.key
for t in rsa3072 rsapss p256 p384 p521 ed25519 ed448; do
    sign $W/$t.key "/C=CH/O=strongSwan/CN=$t.strongswan.org" $W/inter.key $W/inter.pem ee \
        x509/${t}Cert.pem $t.strongswan.org
done
# the intermediate as a PEM in x509/ too would be a duplicate: the chain uses x509ca/interCert.der

# one with a CRL distribution point (ifuri), one revoked, one expired
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/cdp.key
sign $W/cdp.key "/C=CH/O=strongSwan/CN=cdp.strongswan.org" $W/inter.key $W/inter.pem eecdp \
    x509/cdpCert.pem cdp.strongswan.org
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/revoked.key
sign $W/revoked.key "/C=CH/O=strongSwan/CN=revoked.strongswan.org" $W/inter.key $W/inter.pem ee \
    x509/revokedCert.pem revoked.strongswan.org
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/expired.key
SAN=expired.strongswan.org; export SAN
openssl req -new -key $W/expired.key -subj "/C=CH/O=strongSwan/CN=expired.strongswan.org" -out $W/req.csr
# openssl 3.0's x509 has no -not_before: ca takes explicit dates
: > $W/idx; DB=$W/idx; export DB
openssl ca -batch -config $W/ca.cnf -cert $W/inter.pem -keyfile $W/inter.key -in $W/req.csr \
    -startdate 20100101000000Z -enddate 20200101000000Z -extfile $W/ext.cnf -extensions ee \
    -outdir $W -notext -out x509/expiredCert.pem
# under the root directly, under the evil CA, through the pathlen:0 CA, outside the name constraint
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/direct.key
sign $W/direct.key "/C=CH/O=strongSwan/CN=direct.strongswan.org" $W/root.key x509ca/rootCert.pem ee \
    x509/directCert.pem direct.strongswan.org
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/evil.key
sign $W/evil.key "/C=CH/O=Evil/CN=evil.example" $W/evilca.key other/evilcaCert.pem ee x509/evilCert.pem evil.example
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/pathlen.key
sign $W/pathlen.key "/C=CH/O=strongSwan/CN=pathlen.strongswan.org" $W/ncsub.key x509ca/ncsubCert.pem ee \
    x509/pathlenCert.pem pathlen.strongswan.org
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/ncbad.key
sign $W/ncbad.key "/C=CH/O=Evil/CN=ncbad.example" $W/nc.key x509ca/ncCert.pem ee x509/ncbadCert.pem ncbad.example
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/ncgood.key
sign $W/ncgood.key "/C=CH/O=strongSwan/CN=ncgood.strongswan.org" $W/nc.key x509ca/ncCert.pem ee \
    x509/ncgoodCert.pem ncgood.strongswan.org
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $W/ku.key
sign $W/ku.key "/C=CH/O=strongSwan/CN=ku.strongswan.org" $W/inter.key $W/inter.pem eeku \
    x509/kuCert.pem ku.strongswan.org

# keys in each format
openssl pkey -in $W/rsa3072.key -traditional -out rsa/rsa3072Key.pem              # PKCS#1 PEM
openssl pkey -in $W/p256.key -traditional -out ecdsa/p256Key.pem                  # SEC1 PEM
openssl pkey -in $W/p384.key -outform DER -out pkcs8/p384Key.der                  # PKCS#8 DER
openssl ec -in $W/p521.key -outform DER -out ecdsa/p521Key.der 2>/dev/null        # SEC1 DER
openssl pkey -in $W/ed25519.key -out private/ed25519Key.pem                       # PKCS#8 PEM
openssl pkcs8 -topk8 -in $W/ed448.key -v2 aes-256-cbc -passout pass:kite-ed448 -out private/ed448Key.pem
openssl pkcs8 -topk8 -in $W/rsapss.key -v2 aes-128-cbc -passout pass:kite-pss -outform DER -out pkcs8/rsapssKey.der
openssl rsa -in $W/root.key -traditional -aes256 -passout pass:kite-root -out private/rootKey.pem 2>/dev/null
for t in cdp revoked expired direct evil pathlen ncbad ncgood ku; do
    openssl pkey -in $W/$t.key -out private/${t}Key.pem
done

# CRLs: the intermediate's revokes revoked (reason keyCompromise), the root's revokes nothing
: > $W/idx; DB=$W/idx; export DB
openssl ca -config $W/ca.cnf -cert $W/inter.pem -keyfile $W/inter.key -revoke x509/revokedCert.pem \
    -crl_reason keyCompromise
openssl ca -config $W/ca.cnf -cert $W/inter.pem -keyfile $W/inter.key -gencrl -out x509crl/inter.crl
: > $W/idx
openssl ca -config $W/ca.cnf -cert x509ca/rootCert.pem -keyfile $W/root.key -gencrl -out $W/root.crl
openssl crl -in $W/root.crl -outform DER -out x509crl/root.crl
openssl crl -in x509crl/inter.crl -noout -text | sed -n 's/^ *Revocation Date: //p' > revoked_at.txt

for f in x509ca/rootCert.pem x509ca/interCert.der x509ca/badcaCert.pem x509ca/ncsubCert.pem x509ca/ncCert.pem; do
    fmt=PEM; case $f in *.der) fmt=DER;; esac
    h=$(openssl x509 -inform $fmt -in $f -noout -pubkey | openssl pkey -pubin -outform DER | sha1sum | cut -d' ' -f1)
    echo "$(basename $f) $h" >> certreq.txt
done
rm -rf $W
