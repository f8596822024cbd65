#!/bin/sh
# Captures the credential and policy packets of tests/vectors/ (see
# vici_README.md): swanctl 5.9.8 loading the unit fixtures' root CA,
# p256 certificate and key, then the other commands of issue 12 that are
# answered by ctl/vici_cred.c and ctl/vici_events.c, all against
# vici_capture.py.  Usage: tests/vectors/vici_capture_creds.sh OUTDIR
set -e
here=$(cd "$(dirname "$0")" && pwd)
certs=$here/../unit/data/certs
out=${1:?usage: $0 OUTDIR}
sock=$(mktemp -u /tmp/vicicap.XXXXXX)
ca=$(mktemp -d)
ee=$(mktemp -d)
none=$(mktemp -d)
python3 "$here/vici_capture.py" "$sock" "$out" 8 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$sock" ] && break; sleep 0.3; done
uri="unix://$sock"
mkdir -p "$ca/x509ca" "$ee/x509" "$ee/ecdsa"
cp "$certs/x509ca/rootCert.pem" "$ca/x509ca/"
cp "$certs/x509/p256Cert.pem" "$ee/x509/"
cp "$certs/ecdsa/p256Key.pem" "$ee/ecdsa/"
: >"$ca/swanctl.conf"
: >"$ee/swanctl.conf"
: >"$none/swanctl.conf"
# the CA first: its load-cert is kept under another name
SWANCTL_DIR=$ca swanctl --load-creds --file "$ca/swanctl.conf" --uri "$uri" >/dev/null 2>&1
mv "$out/vici_req_load-cert.bin" "$out/vici_req_load-cert-ca.bin"
SWANCTL_DIR=$ee swanctl --load-creds --file "$ee/swanctl.conf" --uri "$uri" >/dev/null 2>&1
SWANCTL_DIR=$none swanctl --load-creds --clear --file "$none/swanctl.conf" --uri "$uri" >/dev/null 2>&1
swanctl --list-certs --uri "$uri"
swanctl --list-pols --uri "$uri"
swanctl --list-authorities --uri "$uri"
swanctl --list-pools --uri "$uri"
swanctl --install --child net --uri "$uri"
swanctl --uninstall --child net --uri "$uri"
swanctl --reload-settings --uri "$uri"
swanctl --rekey --ike home --uri "$uri"
wait $pid
mv "$out/vici_req_rekey.bin" "$out/vici_req_rekey-ike.bin" # vici_req_rekey.bin is --rekey --child
rm -rf "$ca" "$ee" "$none"
