#!/bin/sh
# Captures the tests/vectors/vici_*.bin files: strongSwan's swanctl (5.9.8,
# Debian's strongswan-swanctl) talking to vici_capture.py instead of charon.
# Usage: tests/vectors/vici_capture.sh OUTDIR
set -e
here=$(dirname "$0")
out=${1:?usage: $0 OUTDIR}
sock=$(mktemp -u /tmp/vicicap.XXXXXX)
conf=$(mktemp -d)
python3 "$here/vici_capture.py" "$sock" "$out" 12 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$sock" ] && break; sleep 0.3; done
uri="unix://$sock"
cat >"$conf/swanctl.conf" <<'CONF'
connections {
    home {
        remote_addrs = 192.0.2.1
        proposals = aes128gcm16-prfsha256-ecp256
        local {
            auth = psk
            id = alice@example.org
        }
        remote {
            auth = psk
        }
        children {
            net {
                remote_ts = 10.1.0.0/16, 10.2.0.0/16
                esp_proposals = aes128gcm16
                start_action = trap
            }
        }
    }
}
secrets {
    ike-home {
        id = alice@example.org
        secret = "not a real secret"
    }
}
CONF
swanctl --version --daemon --uri "$uri"
swanctl --stats --uri "$uri"
swanctl --list-sas --uri "$uri"
swanctl --list-conns --uri "$uri"
swanctl --initiate --child net --ike home --timeout 7 --loglevel 2 --uri "$uri"
swanctl --terminate --ike home --force --uri "$uri"
swanctl --rekey --child net --uri "$uri"
swanctl --load-conns --file "$conf/swanctl.conf" --uri "$uri"
timeout 1 swanctl --log --uri "$uri" || true
wait $pid
rm -rf "$conf"
