#!/bin/bash
# Remakes the signature vectors of tests/kat/sig_test.c (crypto/sig) and the
# seeds of tests/fuzz/sig_verify_fuzz.c with the openssl CLI:
#   - a key of each type kite signs IKE AUTH payloads with (RSA 2048, an RSA-PSS
#     key, ECDSA P-256/P-384/P-521, Ed25519, Ed448, and RSA 8192 for the
#     largest AUTH data): <name>.pem (private, PKCS#8) and <name>.pub.pem
#     (SubjectPublicKeyInfo); made only when missing
#   - vectors.txt: openssl's signatures over one fixed message with each scheme
#     (RSA PKCS#1 v1.5 SHA-1/256/384/512, RSA-PSS SHA-256/384/512 with salt =
#     hash length and MGF1 with the same hash, ECDSA with SHA-1/256/384/512 as
#     DER and, for ECDSA, r | s of fixed length as RFC 4754 puts it in AUTH,
#     pure Ed25519/Ed448)
#   - fuzz_keys.h: the public keys and the message as C strings for the fuzz target
#   - tests/fuzz/corpus/sig_verify_fuzz/: AUTH data with each signature
# Usage: bash tests/kat/data/sig/gen.sh   (from anywhere)
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
corpus=$dir/../../../fuzz/corpus/sig_verify_fuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir"

# the message every vector signs: stands in for the octets of RFC 7296 2.15
# (message | nonce | prf(SK_p, ID')); 3 lines, longer than a hash block
printf '%s\n' \
    'kite crypto/sig known-answer message: IKE_SA_INIT request | Nr | prf(SK_pi, IDi'"'"')' \
    'RFC 7427 Digital Signature authentication, RFC 7296 classic RSA and RFC 4754 ECDSA' \
    'RFC 8420 Ed25519 and Ed448 sign these octets themselves (PureEdDSA).' >"$tmp/msg"

hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# a field of vectors.txt: long hex split over indented lines of 64 digits
field() {
    local name=$1 hex=$2
    printf '%s = %s\n' "$name" "${hex:0:64}"
    local i
    for ((i = 64; i < ${#hex}; i += 64)); do printf '  %s\n' "${hex:i:64}"; done
}

# keys are made once: delete them to make new ones (then commit everything
# this script writes together, the fuzz target's keys included)
newkey() { # name algorithm options...
    local name=$1
    shift
    [ -f $name.pem ] || openssl genpkey -algorithm "$@" -out $name.pem 2>/dev/null
    openssl pkey -in $name.pem -pubout -out $name.pub.pem
}
newkey rsa2048 RSA -pkeyopt rsa_keygen_bits:2048
newkey rsapss2048 RSA-PSS -pkeyopt rsa_keygen_bits:2048
for c in 256 384 521; do
    newkey ecdsa$c EC -pkeyopt ec_paramgen_curve:P-$c -pkeyopt ec_param_enc:named_curve
done
newkey ed25519 ED25519
newkey ed448 ED448
# the largest key kite signs with (SIG_MAX): RSA 8192, RSASSA-PSS with SHA-512
newkey rsa8192 RSA -pkeyopt rsa_keygen_bits:8192
keys=(rsa2048 rsapss2048 ecdsa256 ecdsa384 ecdsa521 ed25519 ed448) # the fuzz target's

# r | s of a DER ECDSA-Sig-Value, each padded to the curve's field length
rs_of() {
    local der=$1 len=$2 out=""
    local v
    for v in $(openssl asn1parse -inform DER -in "$der" | awk -F: '/INTEGER/ { print $NF }'); do
        while ((${#v} < 2 * len)); do v="0$v"; done
        out="$out${v,,}"
    done
    printf '%s' "$out"
}

{
    echo "# crypto/sig vectors: signatures made by the openssl CLI ($(openssl version | cut -d' ' -f1-2))"
    echo "# with the keys beside this file over the message [msg]; made by gen.sh in this"
    echo "# directory, which says how. scheme: pkcs1 (RSASSA-PKCS1-v1_5), pss (RSASSA-PSS,"
    echo "# salt = hash length, MGF1 with the same hash: RFC 7427 A.4.3), ecdsa (sig: DER"
    echo "# ECDSA-Sig-Value as in RFC 7427 AUTH data; rs: r | s as in RFC 4754), eddsa"
    echo "# (PureEdDSA, RFC 8032; hash = identity)."
    echo
    echo "[msg]"
    field data "$(hexof "$tmp/msg")"
} >vectors.txt

vec() { # name key scheme hash [ec-len]
    local name=$1 key=$2 scheme=$3 hash=$4 eclen=${5:-}
    case $scheme in
    pkcs1 | ecdsa) openssl dgst -"$hash" -sign $key.pem -out "$tmp/sig" "$tmp/msg" ;;
    pss) openssl dgst -"$hash" -sign $key.pem -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:"$hash" -out "$tmp/sig" "$tmp/msg" ;;
    eddsa) openssl pkeyutl -sign -rawin -inkey $key.pem -in "$tmp/msg" -out "$tmp/sig" ;;
    esac
    {
        echo
        echo "[$name]"
        echo "key = $key"
        echo "scheme = $scheme"
        echo "hash = $hash"
        field sig "$(hexof "$tmp/sig")"
        [ -z "$eclen" ] || field rs "$(rs_of "$tmp/sig" "$eclen")"
    } >>vectors.txt
    cp "$tmp/sig" "$tmp/$name.sig"
}

for h in sha1 sha256 sha384 sha512; do vec rsa2048_pkcs1_$h rsa2048 pkcs1 $h; done
for h in sha256 sha384 sha512; do vec rsa2048_pss_$h rsa2048 pss $h; done
for h in sha256 sha384 sha512; do vec rsapss2048_pss_$h rsapss2048 pss $h; done
for c in 256:32 384:48 521:66; do
    for h in sha1 sha256 sha384 sha512; do
        vec ecdsa${c%%:*}_$h ecdsa${c%%:*} ecdsa $h ${c##*:}
    done
done
vec ed25519 ed25519 eddsa identity
vec ed448 ed448 eddsa identity
vec rsa8192_pss_sha512 rsa8192 pss sha512

# the public keys and the message for the fuzz target, keys in the order of its key index
{
    echo "/* made by tests/kat/data/sig/gen.sh: the public keys and the message of"
    echo " * vectors.txt for tests/fuzz/sig_verify_fuzz.c, keys in the order of its key index */"
    echo "static const char *const sig_fuzz_pubkeys[] = {"
    for k in "${keys[@]}"; do
        echo "    /* $k */"
        sed 's/.*/    "&\\n"/' $k.pub.pem
        echo "    ,"
    done
    echo "};"
    echo "static const char sig_fuzz_msg[] ="
    sed 's/.*/    "&\\n"/' "$tmp/msg"
    echo "    ;"
} >fuzz_keys.h

# fuzz seeds: key index | method | flags | AUTH data (see sig_verify_fuzz.c)
# only its own seeds are replaced: inputs merged in from fuzzing runs stay
mkdir -p "$corpus"
seed() { # name key-index method flags algid-hex sig-file
    { printf "\\x$(printf %02x "$2")\\x$(printf %02x "$3")\\x$(printf %02x "$4")"
      if [ -n "$5" ]; then
          printf "\\x$(printf %02x $((${#5} / 2)))"
          printf '%s' "$5" | sed 's/../\\x&/g' | xargs -0 printf
      fi
      cat "$6"; } >"$corpus/$1"
}
pkcs1=2a864886f70d0101
pssalg() { # hash-oid-last-byte salt
    printf '3041%s3034a00f300d060960864801650304020%s0500a11c301a0609%s08300d060960864801650304020%s0500a2030201%s' \
        0609${pkcs1}0a "$1" $pkcs1 "$1" "$2"
}
seed rsa_pkcs1_sha256 0 14 0 300d0609${pkcs1}0b0500 "$tmp/rsa2048_pkcs1_sha256.sig"
seed rsa_pkcs1_sha512 0 14 0 300d0609${pkcs1}0d0500 "$tmp/rsa2048_pkcs1_sha512.sig"
seed rsa_pkcs1_sha1_allowed 0 14 1 300d0609${pkcs1}050500 "$tmp/rsa2048_pkcs1_sha1.sig"
seed rsa_classic 0 1 0 "" "$tmp/rsa2048_pkcs1_sha1.sig"
seed rsa_pss_sha256 0 14 0 "$(pssalg 1 20)" "$tmp/rsa2048_pss_sha256.sig"
seed rsa_pss_sha384 0 14 0 "$(pssalg 2 30)" "$tmp/rsa2048_pss_sha384.sig"
seed rsapss_pss_sha512 1 14 0 "$(pssalg 3 40)" "$tmp/rsapss2048_pss_sha512.sig"
seed ecdsa256_sha256 2 14 0 300a06082a8648ce3d040302 "$tmp/ecdsa256_sha256.sig"
seed ecdsa384_sha384 3 14 0 300a06082a8648ce3d040303 "$tmp/ecdsa384_sha384.sig"
seed ecdsa521_sha512 4 14 0 300a06082a8648ce3d040304 "$tmp/ecdsa521_sha512.sig"
seed ecdsa256_sha1_allowed 2 14 1 300906072a8648ce3d0401 "$tmp/ecdsa256_sha1.sig"
for c in 256:2:9:32 384:3:10:48 521:4:11:66; do
    IFS=: read -r bits idx m len <<<"$c"
    h=$(case $bits in 256) echo sha256 ;; 384) echo sha384 ;; 521) echo sha512 ;; esac)
    rs_of "$tmp/ecdsa${bits}_$h.sig" "$len" | sed 's/../\\x&/g' | xargs -0 printf >"$tmp/rs"
    seed ecdsa${bits}_classic $idx $m 0 "" "$tmp/rs"
done
seed ed25519 5 14 0 300506032b6570 "$tmp/ed25519.sig"
seed ed448 6 14 0 300506032b6571 "$tmp/ed448.sig"
echo "wrote $(grep -c '^\[' vectors.txt) records of vectors.txt and 16 seeds in $corpus"
