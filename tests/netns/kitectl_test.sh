#!/usr/bin/env bash
# Issue 12, must show 3: kitectl against kited and against charon, the same
# commands on both.  kited (left) and charon (right) have five connections
# each, on their own address pairs:
#   lab   192.0.2.1  <-> 192.0.2.2   the same proposals, PSK and selectors
#   prop  192.0.2.11 <-> 192.0.2.12  no IKE proposal in common
#   psk   192.0.2.21 <-> 192.0.2.22  different pre-shared keys
#   gone  192.0.2.31 <-> 192.0.2.32  the other side's nft drops IKE to it
#   ts    192.0.2.41 <-> 192.0.2.42  selectors the other side does not allow
# charon's configuration is sent by `kitectl load` (load-shared, load-conn);
# then status, list-sas, list-conns, stats, initiate, rekey, terminate, log,
# each with --json parsed by python3; diagnose of prop, psk, gone and ts from
# both ends, each paragraph checked for its cause; --timeout bounds an
# unanswered diagnose (and its attempt is terminated); colour only on a
# terminal (script -q), not with NO_COLOR or --no-color; load with one
# connection left: the others unloaded.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
KC="$KITE_BUILD/kitectl"
for i in 1 2 3 4; do
  ip -n "$LEFT" addr add "192.0.2.${i}1/24" dev "${NS_TAG}a"
  ip -n "$RIGHT" addr add "192.0.2.${i}2/24" dev "${NS_TAG}b"
done
# nft: each side drops IKE to its 'gone' address (filtered, no answer)
for ns in "$LEFT" "$RIGHT"; do
  a=$([ "$ns" = "$LEFT" ] && echo 192.0.2.31 || echo 192.0.2.32)
  ip netns exec "$ns" nft -f - <<NFT
table inet kctl {
  chain in {
    type filter hook input priority 0; policy accept;
    ip daddr $a udp dport { 500, 4500 } drop
  }
}
NFT
done

# conn NAME LOCAL REMOTE LOCAL_TS REMOTE_TS IKE: one connection block
conn() {
  cat <<CONF
  $1 { version = 2
       local_addrs = $2
       remote_addrs = $3
       proposals = $6
       local { auth = psk
               id = $2 }
       remote { auth = psk
                id = $3 }
       children { $1 { local_ts = $4
                       remote_ts = $5
                       esp_proposals = aes256gcm16
                       start_action = none } } }
CONF
}
# secret NAME A B PSK
secret() { printf '  ike-%s { id-1 = %s\n    id-2 = %s\n    secret = "%s" }\n' "$@"; }
G=aes256gcm16-prfsha256-x25519
KPSK=kitectl-test-psk-0123456789
{ echo "connections {"
  conn lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $G
  conn prop 192.0.2.11 192.0.2.12 10.1.1.0/24 10.2.1.0/24 $G
  conn psk 192.0.2.21 192.0.2.22 10.1.2.0/24 10.2.2.0/24 $G
  conn gone 192.0.2.31 192.0.2.32 10.1.3.0/24 10.2.3.0/24 $G
  conn ts 192.0.2.41 192.0.2.42 10.1.4.0/24 10.2.4.0/24 $G
  echo "}"; echo "secrets {"
  secret lab 192.0.2.1 192.0.2.2 $KPSK
  secret prop 192.0.2.11 192.0.2.12 $KPSK
  secret psk 192.0.2.21 192.0.2.22 $KPSK
  secret gone 192.0.2.31 192.0.2.32 $KPSK
  secret ts 192.0.2.41 192.0.2.42 $KPSK
  echo "}"; } >"$WORK/k.conf"
mkdir -p "$WORK/charon"
{ echo "connections {"
  conn lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $G
  conn prop 192.0.2.12 192.0.2.11 10.2.1.0/24 10.1.1.0/24 aes128-sha256-ecp256
  conn psk 192.0.2.22 192.0.2.21 10.2.2.0/24 10.1.2.0/24 $G
  conn gone 192.0.2.32 192.0.2.31 10.2.3.0/24 10.1.3.0/24 $G
  conn ts 192.0.2.42 192.0.2.41 10.2.4.0/24 10.9.4.0/24 $G
  echo "}"; echo "secrets {"
  secret lab 192.0.2.2 192.0.2.1 $KPSK
  secret prop 192.0.2.12 192.0.2.11 $KPSK
  secret psk 192.0.2.22 192.0.2.21 0x6f746865722d736964652d707368  # "other-side-psk", in hex
  secret gone 192.0.2.32 192.0.2.31 $KPSK
  secret ts 192.0.2.42 192.0.2.41 0s$(printf %s "$KPSK" | base64 -w0)
  echo "}"; } >"$WORK/charon/swanctl.conf"

CHARON_RETRANSMIT_TIMEOUT=1 CHARON_RETRANSMIT_BASE=1.5 CHARON_RETRANSMIT_TRIES=1 charon_start "$RIGHT" charon
mkdir -p "$WORK/kite"
KITED_ARGS="--retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 1" kited_start "$LEFT" kite "$WORK/k.conf"
kp=${PIDS[-1]}
for _ in $(seq 30); do [ -S "$WORK/kite/charon.vici" ] && break; sleep 0.1; done
[ -S "$WORK/kite/charon.vici" ] || die "kited opened no control socket"
KURI="unix://$WORK/kite/charon.vici"
CURI="unix://$WORK/charon/charon.vici"
# kc kite|charon ARGS...: kitectl against that daemon, from its namespace, bounded
kc() {
  local who=$1; shift
  if [ "$who" = kite ]; then ip netns exec "$LEFT" timeout 40 "$KC" --uri "$KURI" "$@"
  else ip netns exec "$RIGHT" timeout 40 "$KC" --uri "$CURI" "$@"; fi
}
# pyj 'python assertions on j' FILE: the JSON in FILE loaded as j
pyj() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); $1" "$2"; }

# --- load: charon's configuration through kitectl (load-shared, load-conn) ---
kc charon --json load --file "$WORK/charon/swanctl.conf" >"$WORK/load.json" || { cat "$WORK/load.json"; die "kitectl load into charon failed"; }
pyj '
ops = [(s["op"], s["name"], s["success"]) for s in j["steps"]]
assert [o for o in ops if o[0] == "load-shared"] == [("load-shared", "ike-" + n, "yes") for n in ("lab", "prop", "psk", "gone", "ts")], ops
assert [o for o in ops if o[0] == "load-conn"] == [("load-conn", n, "yes") for n in ("lab", "prop", "psk", "gone", "ts")], ops
assert j["failed"] == "0"
' "$WORK/load.json" || { cat "$WORK/load.json"; die "kitectl load --json"; }
out=$(swanctl_at "$RIGHT" charon --list-conns)
[ "$(echo "$out" | grep -c '^[a-z]*: IKEv2')" = 5 ] || die "charon does not list the 5 connections kitectl loaded: $out"
grep -q "^prop: IKEv2" <<<"$out" || die "charon has no 'prop': $out"
log "ok: kitectl load into charon: 5 secrets (text, hex, base64) and 5 connections, listed by swanctl"
# and into kited (load-shared, load-conn: ctl/vici_conn.c)
out=$(kc kite load --file "$WORK/k.conf" 2>&1) || die "kitectl load into kited failed: $out"
[ "$(echo "$out" | grep -c "^loaded connection '")" = 5 ] || die "kitectl load into kited: $out"
kc kite --json list-conns >"$WORK/kl.json"
pyj 'assert sorted(list(e)[0] for e in j) == ["gone", "lab", "prop", "psk", "ts"], j' "$WORK/kl.json" ||
  die "kited after kitectl load: $(cat "$WORK/kl.json")"
log "ok: kitectl load into kited: $(echo "$out" | paste -sd '|')"

# --- initiate (kite to charon), then the same commands on both ---
kc kite --json --timeout 10 initiate lab >"$WORK/init.json" || { cat "$WORK/init.json"; die "kitectl initiate lab"; }
n=$(pyj '
assert j["result"]["success"] == "yes", j["result"]
assert any("established" in l for l in j["log"]), j["log"]
print(len(j["log"]))' "$WORK/init.json") || die "kitectl --json initiate: $(cat "$WORK/init.json")"
log "ok: kitectl --json initiate lab: success, $n control-log lines"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || die "no traffic through lab"
for who in kite charon; do
  out=$(kc $who status) || die "kitectl status ($who) failed"
  me=$([ $who = kite ] && echo 192.0.2.1 || echo 192.0.2.2); peer=$([ $who = kite ] && echo 192.0.2.2 || echo 192.0.2.1)
  grep -q "^lab: ESTABLISHED, $me \.\.\. $peer ($peer), AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519, up [0-9]*s, rekey in [0-9]*s$" <<<"$out" ||
    die "kitectl status ($who): $out"
  grep -q "^  lab-[0-9]*: INSTALLED TUNNEL, SPIs [0-9a-f]\{8\} in / [0-9a-f]\{8\} out, AES_GCM_16-256, in [1-9][0-9]* bytes [1-9][0-9]* packets, out [1-9][0-9]* bytes [1-9][0-9]* packets, up [0-9]*s, rekey in [0-9]*s$" <<<"$out" ||
    die "kitectl status ($who): $out"
  [ "$(echo "$out" | wc -l)" = 2 ] || die "kitectl status ($who): not one line per SA: $out"
  log "ok: kitectl status ($who): $(echo "$out" | paste -sd '|')"
  kc $who --json list-sas >"$WORK/$who.sas"; kc $who --json list-conns >"$WORK/$who.conns"; kc $who --json stats >"$WORK/$who.stats"
done
python3 - "$WORK"/{kite,charon}.{sas,conns,stats} <<'PY' || die "kitectl --json: kited and charon disagree"
import json, sys
ks, cs, kc, cc, kst, cst = (json.load(open(f)) for f in (sys.argv[1], sys.argv[4], sys.argv[2], sys.argv[5], sys.argv[3], sys.argv[6]))
k, c = ks[0]["lab"], cs[0]["lab"]
assert k["state"] == c["state"] == "ESTABLISHED"
assert (k["initiator-spi"], k["responder-spi"]) == (c["initiator-spi"], c["responder-spi"])
kch, = k["child-sas"].values(); cch, = c["child-sas"].values()
assert (kch["spi-in"], kch["spi-out"]) == (cch["spi-out"], cch["spi-in"])
assert int(kch["packets-out"]) >= 3 and int(cch["packets-in"]) >= 3, (kch["packets-out"], cch["packets-in"])
kn = sorted(list(e)[0] for e in kc); cn = sorted(list(e)[0] for e in cc)
assert kn == cn == ["gone", "lab", "prop", "psk", "ts"], (kn, cn)
for e in kc:
    (name, v), = e.items()
    peer = [x for x in cc if name in x][0][name]
    assert v["children"][name]["local-ts"] == peer["children"][name]["remote-ts"] or name == "ts", name
assert kst["ikesas"]["total"] == cst["ikesas"]["total"] == "1", (kst["ikesas"], cst["ikesas"])
print("IKE SPIs", k["initiator-spi"], k["responder-spi"], "Child SPIs crossed", kch["spi-in"], kch["spi-out"],
      "packets out/in", kch["packets-out"], cch["packets-in"], "; 5 connections each; 1 IKE SA each")
PY
log "ok: kitectl --json list-sas, list-conns, stats from both daemons parsed and compared"

# rekey on both (the Child SA), then log + terminate
for who in kite charon; do
  kc $who --json --timeout 10 rekey lab >"$WORK/rekey.json" || die "kitectl rekey ($who): $(cat "$WORK/rekey.json")"
  pyj 'assert j["result"]["success"] == "yes" and int(j["result"]["matches"]) >= 1, j' "$WORK/rekey.json" ||
    die "kitectl --json rekey ($who): $(cat "$WORK/rekey.json")"
  sleep 1
done
kc kite --json list-sas >"$WORK/after.sas"
pyj 'c = [x for x in j[0]["lab"]["child-sas"].values() if x["state"] == "INSTALLED"]; assert len(c) == 1, j' "$WORK/after.sas" ||
  die "after two rekeys: $(cat "$WORK/after.sas")"
log "ok: kitectl --json rekey lab at kited and at charon (charon's answer counts the rekeyed Child SA it still holds), one Child SA installed after"
ip netns exec "$LEFT" timeout 20 "$KC" --uri "$KURI" --json log >"$WORK/kite.log.json" 2>/dev/null & kite_logp=$!
ip netns exec "$RIGHT" timeout 20 "$KC" --uri "$CURI" --json log >"$WORK/charon.log.json" 2>/dev/null & charon_logp=$!
sleep 1
kc kite --json --timeout 10 terminate lab >"$WORK/term.json" || die "kitectl terminate (kite): $(cat "$WORK/term.json")"
pyj 'assert j["result"]["success"] == "yes" and j["result"]["terminated"] == "1", j' "$WORK/term.json" || die "terminate --json: $(cat "$WORK/term.json")"
for who in kite charon; do wait_for "$WORK/$who.log.json" '"msg":"[^"]*lab' 5 || true; done
sleep 0.5
kill "$kite_logp" "$charon_logp" 2>/dev/null || true; wait "$kite_logp" "$charon_logp" 2>/dev/null || true
python3 -c '
import json, sys
for f in sys.argv[1:]:
    ev = [json.loads(l) for l in open(f) if l.strip()]
    assert ev and all({"group", "level", "msg"} <= set(e) for e in ev), (f, ev[:3])
    assert any("lab" in e["msg"] and ("delet" in e["msg"] or "DELETE" in e["msg"] or "D " in e["msg"]) for e in ev), (f, [e["msg"] for e in ev])
    print(len(ev), end=" ")' "$WORK/kite.log.json" "$WORK/charon.log.json" >"$WORK/n" ||
  die "kitectl --json log: $(head -c 2000 "$WORK/kite.log.json" "$WORK/charon.log.json")"
log "ok: kitectl --json log followed kited and charon ($(cat "$WORK/n")lines), the delete of lab among them in both"
[ -z "$(kc kite status)" ] && [ -z "$(kc charon status)" ] || die "lab still listed after terminate"
out=$(kc charon terminate lab) && die "terminate of nothing succeeded: $out"
log "ok: kitectl terminate lab; nothing left on either side; a second terminate exits 1"
# initiate at charon too
out=$(kc charon --timeout 10 initiate lab) || die "kitectl initiate at charon: $out"
echo "$out" | tail -1 | grep -q "^initiate completed$" || die "kitectl initiate at charon: $out"
log "ok: kitectl initiate lab at charon: $(echo "$out" | tail -1)"

# --- diagnose from both ends ---
# diag WHO CONN CAUSE PATTERN: diagnose's --json cause, and its paragraph
# matching PATTERN; the human output is that paragraph alone (checked once a side)
diag() {
  local who=$1 conn=$2 cause=$3 pat=$4 t0 t1 out
  t0=$(date +%s.%N)
  kc "$who" --json --timeout 20 diagnose "$conn" >"$WORK/d.json" && die "diagnose $conn ($who) succeeded"
  t1=$(date +%s.%N)
  out=$(pyj "assert j['cause'] == '$cause', (j['cause'], j['explanation']); print(j['explanation'])" "$WORK/d.json") ||
    die "diagnose $conn ($who): $(cat "$WORK/d.json")"
  grep -qE "$pat" <<<"$out" || die "diagnose $conn ($who): '$pat' not in: $out"
  log "ok: diagnose $conn ($who, $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s): $out"
}
for who in kite charon; do
  offer=$([ $who = kite ] && echo 'IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519' ||
          echo 'IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256')
  diag $who prop no-proposal "^'prop' failed: no proposal in common\. .*we offered \($offer\)\."
  diag $who psk auth-refused-by-peer "^'psk' failed: the peer 192\.0\.2\.2[12] refused our authentication.*secret differs"
  diag $who ts ts-unacceptable "^'ts' failed: traffic selectors refused \(TS_UNACCEPTABLE\)\..*we proposed local 10\.[12]\.4\.0/24 and remote 10\.[129]\.4\.0/24"
  diag $who gone no-answer "^'gone' failed: no answer from the peer 192\.0\.2\.3[12]\. Our IKE_SA_INIT request got no response after 1 retransmission \(the daemon gave up\)"
done
for who in kite charon; do
  kc $who --json diagnose nosuch >"$WORK/d.json" && die "diagnose nosuch ($who) succeeded"
  out=$(pyj 'assert j["cause"] == "no-such-conn", j; print(j["explanation"])' "$WORK/d.json") ||
    die "diagnose nosuch ($who): $(cat "$WORK/d.json")"
done
log "ok: diagnose of a connection neither daemon has: $out"
for who in kite charon; do
  out=$(kc $who diagnose prop) && die "diagnose prop ($who) succeeded"
  [ "$(echo "$out" | wc -l)" = 1 ] && grep -q "^'prop' failed: no proposal in common\. " <<<"$out" ||
    die "diagnose prop ($who), for a person: $out"
done
log "ok: diagnose prop for a person: the paragraph alone, one line, on both"
# kited, the responder to charon's prop, logged what charon offered and what it has
grep -qE "received proposals: IKE:AES_CBC_128/(AUTH_)?HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256$" "$WORK/kite/kited.log" ||
  die "kited did not log the proposals it refused: $(grep -i proposal "$WORK/kite/kited.log")"
grep -q "configured proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519$" "$WORK/kite/kited.log" ||
  die "kited did not log its own proposals: $(grep -i proposal "$WORK/kite/kited.log")"
log "ok: kited as responder logged the refused offer: $(grep -m1 'received proposals:' "$WORK/kite/kited.log" | sed 's/.*\] //')"
# --timeout shorter than the retransmissions: kitectl stops waiting, ends the attempt
t0=$(date +%s)
out=$(kc kite --timeout 2 diagnose gone) && die "diagnose gone --timeout 2 succeeded"
t1=$(date +%s)
[ $((t1 - t0)) -le 4 ] || die "diagnose --timeout 2 took $((t1 - t0)) s"
grep -q "no answer from the peer 192.0.2.32.*kitectl stopped waiting at --timeout" <<<"$out" || die "diagnose --timeout 2: $out"
sleep 0.3
[ -z "$(kc kite status | grep '^gone:')" ] || die "the unanswered attempt was left running: $(kc kite status)"
log "ok: diagnose --timeout 2 gone: $((t1 - t0)) s, the attempt terminated: $out"
out=$(kc kite diagnose lab) || die "diagnose lab failed: $out"
echo "$out" | head -1 | grep -q "^'lab' is up\.$" || die "diagnose lab: $out"
grep -q "^lab: ESTABLISHED" <<<"$out" || die "diagnose lab shows no SA: $out"
log "ok: diagnose lab (up): $(echo "$out" | paste -sd '|')"

# --- colour: only on a terminal ---
ip netns exec "$LEFT" "$KC" --uri "$KURI" status | grep -q $'\033' && die "colour escapes when piped"
script -q -c "ip netns exec $LEFT $KC --uri $KURI status" /dev/null >"$WORK/tty.out" </dev/null
grep -q $'\033\[32mESTABLISHED\033\[0m' "$WORK/tty.out" || die "no colour on a terminal: $(cat -v "$WORK/tty.out")"
NO_COLOR=1 script -q -c "ip netns exec $LEFT $KC --uri $KURI status" /dev/null </dev/null | grep -q $'\033' && die "colour with NO_COLOR"
script -q -c "ip netns exec $LEFT $KC --uri $KURI --no-color status" /dev/null </dev/null | grep -q $'\033' && die "colour with --no-color"
log "ok: colour on a pty ($(grep -c $'\033' "$WORK/tty.out") lines), none piped, with NO_COLOR=1 or with --no-color"

# --- load with only lab: charon's other connections unloaded ---
{ echo "connections {"; conn lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $G; echo "}"
  echo "secrets {"; secret lab 192.0.2.2 192.0.2.1 $KPSK; echo "}"; } >"$WORK/charon/lab-only.conf"
kc charon --json load --file "$WORK/charon/lab-only.conf" >"$WORK/load2.json" || die "kitectl load lab-only: $(cat "$WORK/load2.json")"
pyj '
un = sorted(s["name"] for s in j["steps"] if s["op"] == "unload-conn" and s["success"] == "yes")
assert un == ["gone", "prop", "psk", "ts"], un
' "$WORK/load2.json" || die "load lab-only: $(cat "$WORK/load2.json")"
out=$(swanctl_at "$RIGHT" charon --list-conns | grep '^[a-z]*: IKEv2')
[ "$out" = "lab: IKEv2, no reauthentication, rekeying every 14400s" ] || [ "$(echo "$out" | cut -d: -f1)" = lab ] || die "after load lab-only charon has: $out"
[ -n "$(kc charon status | grep '^lab: ESTABLISHED')" ] || die "the unchanged lab's SA went away at load"
log "ok: kitectl load of a file with lab only: prop, psk, gone, ts unloaded from charon, lab's SA kept"
out=$(kc charon load --file "$WORK/nonexistent.conf" 2>&1) && die "load of a missing file succeeded"
[ "$(echo "$out" | wc -l)" = 1 ] && grep -q "nonexistent.conf" <<<"$out" || die "load of a missing file: $out"
log "ok: load of a missing file: exit 1: $out"
kill -0 "$kp" || die "kited died"
kited_stop "$kp"
log "PASS"
