#!/usr/bin/env bash
# tools/corpus (issue 14, Must show 2): scripts/corpus.sh on a tiny corpus
# made here as strongSwan's repository has it (a git repository with
# testing/testing.conf and testing/tests/<suite>/<test>/hosts/<host>/etc/swanctl/):
# one file that loads (a template, an include beside it, a PH_IP_ placeholder),
# one IKEv1 file and one with mark_in, refused with their reasons; three that
# name certificates and keys the repository lacks (strongSwan's testbed makes
# them), which load with corpus_creds.sh's throwaway ones and not without
# (CORPUS_CREDS=0); then a kited that crashes on one file is reported as a
# crash (exit 1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KITE_BUILD:-$ROOT/build}
[ -x "$BUILD/kited" ] || { echo "SKIP: no $BUILD/kited"; exit 77; }
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }
W=$(mktemp -d /tmp/kite-corpus-test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
die() { echo "FAIL: $*"; exit 1; }

mkdir -p "$W/repo/testing/tests/ikev2/net2net/hosts/moon/etc/swanctl" \
         "$W/repo/testing/tests/ikev1/net2net/hosts/moon/etc/swanctl" \
         "$W/repo/testing/tests/ikev2/mark/hosts/sun/etc/swanctl"
printf ': ${HOSTNAMEIPV4="\\\nmoon,192.168.0.1,10.1.0.1 \\\nsun,192.168.0.2,10.2.0.1"}\n' >"$W/repo/testing/testing.conf"
cat >"$W/repo/testing/tests/ikev2/net2net/hosts/moon/etc/swanctl/swanctl.conf" <<'EOF'
base {
   local_addrs = PH_IP_MOON
   remote_addrs = PH_IP_SUN
   local { auth = psk }
   remote { auth = psk }
}
connections {
   gw-gw : base {
      children {
         net { local_ts = 10.1.0.0/16
               remote_ts = 10.2.0.0/16 }
      }
   }
}
include secrets.conf
EOF
echo 'secrets { ike { secret = 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL } }' \
  >"$W/repo/testing/tests/ikev2/net2net/hosts/moon/etc/swanctl/secrets.conf"
cat >"$W/repo/testing/tests/ikev1/net2net/hosts/moon/etc/swanctl/swanctl.conf" <<'EOF'
connections {
   gw-gw {
      version = 1
      children { net { local_ts = 10.1.0.0/16
                       remote_ts = 10.2.0.0/16 } }
   }
}
EOF
cat >"$W/repo/testing/tests/ikev2/mark/hosts/sun/etc/swanctl/swanctl.conf" <<'EOF'
connections {
   gw-gw {
      children { net { local_ts = 10.1.0.0/16
                       remote_ts = 10.2.0.0/16
                       mark_in = 42 } }
   }
}
EOF
# certificates and keys the testbed would make (corpus_creds.sh): an RSA one
# with its passphrase in secrets, a DN identity, a CA in cacerts; an ECDSA
# one by its scenario's name, in ecdsa/ where kited takes only EC keys; an
# Ed25519 one by its auth, with an IP identity and a DER remote certificate
mkdir -p "$W/repo/testing/tests/ikev2/strong-certs/hosts/moon/etc/swanctl" \
         "$W/repo/testing/tests/ikev2/ecdsa-certs/hosts/carol/etc/swanctl" \
         "$W/repo/testing/tests/ikev2/net2net-ed/hosts/sun/etc/swanctl/conf.d"
cat >"$W/repo/testing/tests/ikev2/strong-certs/hosts/moon/etc/swanctl/swanctl.conf" <<'EOF'
connections {
   rw {
      local {
         auth = pubkey
         certs = moonCert-sha224.pem   # the key: moonKey-aes128.pem below
         id = "C=CH, O=strongSwan Project, CN=moon.strongswan.org"
      }
      remote { auth = pubkey
               cacerts = researchCert.pem }
      children { net { local_ts = 10.1.0.0/16 } }
   }
}
secrets {
   rsa-moon {
      file = moonKey-aes128.pem
      secret = "gOQHdrSWeFuiZtYPetWuyzHW"
   }
}
EOF
cat >"$W/repo/testing/tests/ikev2/ecdsa-certs/hosts/carol/etc/swanctl/swanctl.conf" <<'EOF'
connections {
   home {
      remote_addrs = PH_IP_MOON
      local { auth = pubkey
              certs = carolCert.pem
              id = carol@strongswan.org }
      remote { auth = pubkey
               id = moon.strongswan.org }
      children { home { remote_ts = 10.1.0.0/16 } }
   }
}
secrets { ecdsa-carol { file = carolKey.pem
                        secret = "nH5ZQEWtku0RJEZ6" } }
EOF
cat >"$W/repo/testing/tests/ikev2/net2net-ed/hosts/sun/etc/swanctl/swanctl.conf" <<'EOF'
include conf.d/*.conf
EOF
cat >"$W/repo/testing/tests/ikev2/net2net-ed/hosts/sun/etc/swanctl/conf.d/gw.conf" <<'EOF'
connections { gw-gw { remote_addrs = PH_IP_MOON
   local { auth = ed25519
           certs = sunCert.pem
           id = PH_IP_SUN }
   remote { auth = pubkey
            certs = moon_D_cert.der }
   children { net { local_ts = 10.2.0.0/16
                    remote_ts = 10.1.0.0/16 } } } }
EOF
git -C "$W/repo" init -q && git -C "$W/repo" add -A &&
  git -C "$W/repo" -c user.name=t -c user.email=t@t commit -qm corpus || die "git"

out=$(KITED="$BUILD/kited" "$ROOT/scripts/corpus.sh" "$W/repo/.git") || die "corpus.sh failed: $out"
echo "$out"
grep -q "6 swanctl.conf files" <<<"$out" || die "not 6 files"
grep -q "loaded: 4   refused: 2   crashed: 0" <<<"$out" || die "counts"
grep -qE "^throwaway credentials \(corpus_creds.sh\): [0-9]+ keys, [0-9]+ certificates" <<<"$out" || die "creds line"
grep -qE "^ +1 version refused: IKEv1 is not supported \(RFC 9395 deprecates it\)" <<<"$out" || die "version reason"
grep -qE "^ +1 mark_in refused: needs the kernel backend \(not implemented\)" <<<"$out" || die "mark_in reason"
ls "$W" | grep -vq repo && die "corpus.sh left files in $W"
git -C "$W/repo" status --porcelain | grep -q . && die "corpus.sh wrote into the repository"

# without the made-up credentials the three stop at their certificates
out=$(CORPUS_CREDS=0 KITED="$BUILD/kited" "$ROOT/scripts/corpus.sh" "$W/repo/.git") || die "corpus.sh failed: $out"
echo "$out"
grep -q "loaded: 1   refused: 5   crashed: 0" <<<"$out" || die "counts without credentials"
grep -qE "^ +3 local.certs: certificate '…' of connection '…' is not loaded" <<<"$out" || die "certificate reason"

# a kited that crashes (SIGSEGV's status) on the IKEv1 file: reported, exit 1
cat >"$W/crashy" <<EOF
#!/usr/bin/env bash
grep -q 'version = 1' "\$2" && exit 139
exec "$BUILD/kited" "\$@"
EOF
chmod +x "$W/crashy"
rc=0
out=$(KITED="$W/crashy" "$ROOT/scripts/corpus.sh" "$W/repo/.git") || rc=$?
echo "$out"
[ "$rc" -eq 1 ] || die "a crash did not make corpus.sh fail (exit $rc)"
grep -q "loaded: 4   refused: 1   crashed: 1" <<<"$out" || die "crash counts"
grep -q "ikev1/net2net/hosts/moon/etc/swanctl/swanctl.conf: exit 139" <<<"$out" || die "crash not named"
echo "PASS"
