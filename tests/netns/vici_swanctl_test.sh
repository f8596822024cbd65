#!/usr/bin/env bash
# Issue 12, must show 2 (part) and 5: the real swanctl 5.9.8 drives kited
# through its VICI socket (--run-dir: $WORK/kite/charon.vici), with charon on
# the other end: --version, --stats, --list-conns, --initiate (kite to
# charon, then charon to kite), --list-sas and --list-sas --raw (the IKE
# SA's keys compared with what charon lists for the same IKE SA), --rekey,
# --terminate, --log; then hostile clients: 200 idle connections and one
# sending garbage while pings cross the tunnel at 50/s with no loss.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
  die "swanctl could not load charon's configuration"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 none >"$WORK/kite/k.conf"
KITED_ARGS="--vici-max-clients 300" kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
KURI="unix://$WORK/kite/charon.vici"
for _ in $(seq 30); do [ -S "$WORK/kite/charon.vici" ] && break; sleep 0.1; done
[ -S "$WORK/kite/charon.vici" ] || die "kited opened no control socket"
[ "$(stat -c %a "$WORK/kite/charon.vici")" = 770 ] || die "socket mode $(stat -c %a "$WORK/kite/charon.vici"), not 770"
k() { ip netns exec "$LEFT" timeout 20 swanctl "$@" --uri "$KURI"; }

out=$(k --version --daemon) || die "swanctl --version failed: $out"
grep -q "kite kited (Linux" <<<"$out" || die "--version: $out"
log "ok: --version: $out"
out=$(k --stats) || die "--stats failed: $out"
grep -q "IKE_SAs: 0 total, 0 half-open" <<<"$out" || die "--stats: $out"
log "ok: --stats: $(echo "$out" | head -1)"
out=$(k --list-algs) || die "--list-algs failed: $out"
grep -q "AES_GCM_16\[openssl\]" <<<"$out" || die "--list-algs: $out"
grep -q "CURVE_25519\[openssl\]" <<<"$out" || die "--list-algs: $out"
log "ok: --list-algs: $(echo "$out" | grep -c '\[openssl\]') algorithms"
out=$(k --list-conns) || die "--list-conns failed: $out"
grep -q "^lab: IKEv2" <<<"$out" || die "--list-conns: $out"
grep -q "net: TUNNEL" <<<"$out" || die "--list-conns: $out"
grep -q "remote: 10.2.0.0/24" <<<"$out" || die "--list-conns: $out"
log "ok: --list-conns: $(echo "$out" | tr -s ' ' | paste -sd '|')"

# --- kite initiates, through swanctl, with control-log ---
out=$(k --initiate --child net --timeout 10 --loglevel 1) || die "--initiate failed: $out"
grep -q "initiate completed successfully" <<<"$out" || die "--initiate: $out"
grep -q "IKE_SA lab\[[0-9]*\] established" <<<"$out" || die "--initiate showed no control-log: $out"
log "ok: --initiate to charon: $(echo "$out" | wc -l) lines, $(echo "$out" | tail -1)"
sleep 0.3
out=$(k --list-sas) || die "--list-sas failed"
grep -q "lab: #[0-9]*, ESTABLISHED, IKEv2" <<<"$out" || die "--list-sas: $out"
grep -q "net: #[0-9]*, reqid [0-9]*, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256" <<<"$out" || die "--list-sas: $out"
log "ok: --list-sas:"; echo "$out"

# the keys of the same IKE SA on both ends (--raw is one line per event)
kraw=$(k --list-sas --raw) || die "--list-sas --raw failed"
craw=$(swanctl_at "$RIGHT" charon --list-sas --raw)
keys() { grep -o '[a-z-]*=' | sort -u | tr -d '=' | paste -sd ' '; }
# the keys that depend on the side (initiator=yes, nat-local / nat-remote:
# charon fakes a NAT, kite sees it remote) are left out of the comparison
side='s/initiator=yes //; s/nat-local=yes //; s/nat-remote=yes //; s/nat-fake=yes //'
ck=$(echo "$craw" | grep -F "list-sa event" | sed "$side" | keys)
kk=$(echo "$kraw" | grep -F "list-sa event" | sed "$side" | keys)
missing=$(comm -23 <(tr ' ' '\n' <<<"$ck" | sort) <(tr ' ' '\n' <<<"$kk" | sort) | paste -sd ' ')
extra=$(comm -13 <(tr ' ' '\n' <<<"$ck" | sort) <(tr ' ' '\n' <<<"$kk" | sort) | paste -sd ' ')
log "charon --raw: $(echo "$craw" | grep -F 'list-sa event')"
log "kite   --raw: $(echo "$kraw" | grep -F 'list-sa event')"
[ -z "$extra" ] || die "kite lists keys charon does not: $extra"
[ -z "$missing" ] || die "charon lists keys kite does not: $missing"
# the same SPIs on both ends
for f in initiator-spi responder-spi; do
  a=$(echo "$kraw" | grep -o "$f=[0-9a-f]*"); b=$(echo "$craw" | grep -o "$f=[0-9a-f]*")
  [ -n "$a" ] && [ "$a" = "$b" ] || die "$f: kite $a, charon $b"
done
log "ok: --list-sas --raw: the same keys as charon ($(wc -w <<<"$kk") keys) and the same SPIs"

# --- kitectl: the same commands against kited and charon, --json parsed ---
KC="$KITE_BUILD/kitectl"
CURI="unix://$WORK/charon/charon.vici"
out=$("$KC" --uri "$KURI" status) || die "kitectl status failed: $out"
grep -q "^lab: ESTABLISHED, 192.0.2.1 ... 192.0.2.2 (192.0.2.2), AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519, up [0-9]*s, rekey in [0-9]*s$" <<<"$out" ||
  die "kitectl status: $out"
grep -q "^  net-[0-9]*: INSTALLED TUNNEL, SPIs [0-9a-f]\{8\} in / [0-9a-f]\{8\} out" <<<"$out" || die "kitectl status: $out"
log "ok: kitectl status (kited): $(echo "$out" | paste -sd '|')"
out=$("$KC" --uri "$CURI" status) || die "kitectl status against charon failed: $out"
grep -q "^lab: ESTABLISHED, 192.0.2.2 ... 192.0.2.1" <<<"$out" || die "kitectl status (charon): $out"
log "ok: kitectl status (charon): $(echo "$out" | paste -sd '|')"
kj() { "$KC" --uri "$1" --json "$2"; }
python3 -c '
import json, sys
k_sas, c_sas, k_conns, c_conns, k_st, c_st = (json.loads(open(f).read()) for f in sys.argv[1:7])
ks, cs = k_sas[0]["lab"], c_sas[0]["lab"]
assert ks["state"] == cs["state"] == "ESTABLISHED", (ks["state"], cs["state"])
assert ks["initiator-spi"] == cs["initiator-spi"] and ks["responder-spi"] == cs["responder-spi"]
kc, = ks["child-sas"].values(); cc, = cs["child-sas"].values()
assert kc["spi-in"] == cc["spi-out"] and kc["spi-out"] == cc["spi-in"], (kc, cc)
assert k_conns[0]["lab"]["children"]["net"]["remote-ts"] == c_conns[0]["lab"]["children"]["net"]["local-ts"]
assert k_st["ikesas"]["total"] == "1" and c_st["ikesas"]["total"] == "1"
print("kitectl --json: IKE SPIs", ks["initiator-spi"], ks["responder-spi"], "Child SPIs", kc["spi-in"], kc["spi-out"], "agree")
' <(kj "$KURI" list-sas) <(kj "$CURI" list-sas) <(kj "$KURI" list-conns) <(kj "$CURI" list-conns) \
  <(kj "$KURI" stats) <(kj "$CURI" stats) >"$WORK/json.out" 2>&1 || { cat "$WORK/json.out"; die "kitectl --json: kited and charon disagree"; }
log "ok: $(cat "$WORK/json.out") (list-sas, list-conns, stats parsed from both daemons)"

# --- hostile clients while pings flow at 50/s ---
ip netns exec "$LEFT" ping -c 500 -i 0.02 -W 2 10.2.0.1 >"$WORK/ping.out" 2>&1 & pingp=$!
python3 - "$LEFT" "$WORK/kite/charon.vici" >"$WORK/hostile.out" 2>&1 <<'PY' &
import os, socket, sys, time, subprocess
path = sys.argv[2]
idle = []
for i in range(200):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); idle.append(s)
# garbage: a length over the limit, then random bytes in a valid length, then a never-read flood of requests
bad = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); bad.connect(path)
try:
    bad.sendall(b"\x7f\xff\xff\xff" + os.urandom(1000))
except OSError:
    pass
closed = 0
for n in range(300):
    g = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); g.connect(path)
    body = b"\xff" + os.urandom(49)  # no such packet type
    try:
        g.sendall(len(body).to_bytes(4, "big") + body); g.settimeout(2)
        closed += g.recv(10) == b""
    except OSError:
        closed += 1
    g.close()
# a client that asks for list-sas again and again and never reads
slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); slow.connect(path)
reg = b"\x03\x07list-sa"; req = b"\x00\x08list-sas"
slow.sendall(len(reg).to_bytes(4, "big") + reg)
slow.settimeout(0.05)
for n in range(20000):
    try:
        slow.sendall(len(req).to_bytes(4, "big") + req)
    except OSError:
        break
time.sleep(1)
print("garbage clients closed by kited:", closed, "of 300")
time.sleep(6)
PY
hp=$!
sleep 3
out=$(k --stats 2>&1) || die "--stats during the hostile clients failed: $out"
grep -q "IKE_SAs: 1 total" <<<"$out" || die "--stats during hostile clients: $out"
wait "$pingp" || true
wait "$hp" || true
cat "$WORK/hostile.out"
grep -q "closed by kited: 300 of 300" "$WORK/hostile.out" || die "not every garbage client was closed"
loss=$(grep -o '[0-9.]*% packet loss' "$WORK/ping.out")
rx=$(grep -o '[0-9]* received' "$WORK/ping.out")
[ "$loss" = "0% packet loss" ] || { cat "$WORK/ping.out"; die "pings lost during the hostile clients: $loss"; }
grep -q "over the limit: closed" "$WORK/kite/kited.log" || die "kited did not log the oversized message"
log "ok: 200 idle clients, 300 garbage clients, an oversized message and a client that does not read: ping 500 at 50/s $rx, $loss"
log "    kited: $(grep -c 'vici: closing client' "$WORK/kite/kited.log") clients closed for bad messages, $(grep 'does not read' "$WORK/kite/kited.log" | head -1 | sed 's/.*vici: //')"

# --- --log follows kited's log; --terminate ---
ip netns exec "$LEFT" timeout 4 stdbuf -oL swanctl --log --uri "$KURI" >"$WORK/log.out" 2>&1 & logp=$!
sleep 0.5
out=$(k --terminate --ike lab --timeout 5) || die "--terminate failed: $out"
grep -q "terminate completed successfully" <<<"$out" || die "--terminate: $out"
wait "$logp" || true
grep -q "deleting IKE_SA\|IKE_SA lab\[[0-9]*\]" "$WORK/log.out" || { cat "$WORK/log.out"; die "--log showed nothing of the terminate"; }
log "ok: --terminate; --log followed $(wc -l <"$WORK/log.out") lines"
sleep 0.5
out=$(k --list-sas)
[ -z "$(echo "$out" | grep lab:)" ] || die "the IKE SA is still listed after --terminate: $out"

# --- charon initiates to kite; kite's list shows it as responder ---
swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || die "charon could not initiate to kite"
sleep 0.5
kraw=$(k --list-sas --raw)
grep -q "state=ESTABLISHED" <<<"$kraw" || die "kite lists no SA after charon initiated: $kraw"
grep -q "initiator=yes" <<<"$kraw" && die "kite lists itself as initiator: $kraw"
out=$(k --rekey --child net) || die "--rekey failed: $out"
grep -q "rekey completed successfully" <<<"$out" || die "--rekey: $out"
log "ok: charon initiated to kite, listed as responder; --rekey: $out"
out=$("$KC" --uri "$KURI" terminate lab) || die "kitectl terminate (kited): $out"
grep -q "^terminate completed$" <<<"$out" || die "kitectl terminate (kited): $out"
out=$("$KC" --uri "$KURI" --timeout 10 initiate net) || die "kitectl initiate (kited): $out"
grep -q "IKE_SA lab\[[0-9]*\] established" <<<"$out" || die "kitectl initiate showed no control-log: $out"
echo "$out" | tail -1 | grep -q "^initiate completed$" || die "kitectl initiate (kited): $out"
out=$("$KC" --uri "$CURI" terminate lab) || die "kitectl terminate (charon): $out"
echo "$out" | tail -1 | grep -q "^terminate completed$" || die "kitectl terminate (charon): $out"
out=$("$KC" --uri "$CURI" terminate lab) && die "kitectl terminate of nothing succeeded: $out"
grep -q "no matching SAs to terminate found" <<<"$out" || die "kitectl terminate of nothing (charon): $out"
log "ok: kitectl terminate, initiate (with kited's control-log), terminate at charon and of nothing (exit 1, charon's errmsg)"
kill -0 "$kp" || die "kited died"
kited_stop "$kp"
log "PASS"
