#!/usr/bin/env bash
# Issue 12, must show 4: a real Prometheus server (Debian's prometheus)
# scrapes kited's --metrics page in a network namespace.
#   - `promtool check metrics` finds nothing to say about the page;
#   - other paths get 404, other methods 405, garbage 400, and kited goes on;
#     300 clients sending garbage and 20 that never read while pings cross
#     the tunnel: no ping lost, the page still scraped;
#   - through Prometheus's HTTP API (/api/v1/query): the target is up, one
#     handshake established, and kite's per Child SA byte and packet counters
#     grow while pings go through the tunnel.
# kite <-> kite between LEFT (192.0.2.1, metrics on 127.0.0.1) and RIGHT.
# Bounded (about 30 s); Prometheus keeps its storage in the work directory.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
for t in prometheus promtool curl jq; do
  command -v $t >/dev/null || die "$t missing (scripts/deps.sh interop installs it)"
done
ns_setup
MPORT=9464 PPORT=9090
mkdir -p "$WORK/l" "$WORK/r" "$WORK/prom"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 start >"$WORK/l/k.conf"
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none >"$WORK/r/k.conf"
kited_start "$RIGHT" r "$WORK/r/k.conf"
KITED_ARGS="--metrics 127.0.0.1:$MPORT --metrics-max-clients 4" kited_start "$LEFT" l "$WORK/l/k.conf"
wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "left did not install the Child SA"
wait_for "$WORK/l/kited.log" "metrics at http://127.0.0.1:$MPORT/metrics" 2 || die "no metrics line in the log"

lcurl() { ip netns exec "$LEFT" curl -sS -m 5 "$@"; }

# the page itself
lcurl -D "$WORK/head.txt" -o "$WORK/page.txt" "http://127.0.0.1:$MPORT/metrics" || die "GET /metrics failed"
grep -q "^HTTP/1.1 200" "$WORK/head.txt" || die "GET /metrics: $(head -1 "$WORK/head.txt")"
grep -qi "^Content-Type: text/plain; version=0.0.4" "$WORK/head.txt" || die "no 0.0.4 content type"
promtool check metrics <"$WORK/page.txt" >"$WORK/promtool.out" 2>&1 ||
  { cat "$WORK/promtool.out"; die "promtool check metrics failed"; }
[ ! -s "$WORK/promtool.out" ] || { cat "$WORK/promtool.out"; die "promtool check metrics had remarks"; }
families=$(grep -c "^# TYPE kite_" "$WORK/page.txt")
log "page: $(wc -c <"$WORK/page.txt") bytes, $families families, promtool clean"
grep -q '^kite_ike_sas{state="ESTABLISHED"} 1$' "$WORK/page.txt" || die "not one ESTABLISHED IKE SA on the page"
grep -q '^kite_child_sa_bytes_total{connection="lab",child="net",spi="[0-9a-f]*",direction="out"} ' "$WORK/page.txt" ||
  die "no per Child SA byte series"

# what is not GET /metrics
code() { lcurl -o /dev/null -w '%{http_code}' "$@" || true; }
[ "$(code "http://127.0.0.1:$MPORT/")" = 404 ] || die "GET / is not 404"
[ "$(code -X POST "http://127.0.0.1:$MPORT/metrics")" = 405 ] || die "POST /metrics is not 405"
bad=$(printf 'HELLO\r\n\r\n' | ip netns exec "$LEFT" timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MPORT; cat >&3; cat <&3" | head -1)
case "$bad" in "HTTP/1.1 400"*) ;; *) die "garbage got '$bad', not 400" ;; esac
# idle connections past the limit (4) do not lock the page away
for i in 1 2 3 4 5 6; do ip netns exec "$LEFT" timeout 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MPORT; sleep 15" & done
sleep 0.5
[ "$(code "http://127.0.0.1:$MPORT/metrics")" = 200 ] || die "the page is not served beside 6 idle connections"

# Prometheus, scraping every second
cat >"$WORK/prom/prometheus.yml" <<YML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: kite
    static_configs: [ { targets: ['127.0.0.1:$MPORT'] } ]
YML
ip netns exec "$LEFT" prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
  --web.listen-address="127.0.0.1:$PPORT" >"$WORK/prom/prometheus.log" 2>&1 &
PIDS+=($!)
q() { # q EXPR: the first result's value, or "" when there is none
  lcurl "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}
up=""
for _ in $(seq 60); do up=$(q 'up{job="kite"}'); [ "$up" = 1 ] && break; sleep 0.5; done
[ "$up" = 1 ] || { tail -20 "$WORK/prom/prometheus.log"; die "Prometheus does not see kited up"; }
log "Prometheus: target up"
[ "$(q 'kite_ike_handshakes_established_total')" = 1 ] || die "handshakes established is not 1"
[ "$(q 'kite_child_sas')" = 1 ] || die "kite_child_sas is not 1"

bytes() { q "sum(kite_child_sa_bytes_total{connection=\"lab\",direction=\"$1\"})"; }
ip netns exec "$LEFT" ping -c 60 -i 0.1 -I 10.1.0.1 10.2.0.1 >"$WORK/ping1.out" 2>&1 &
ping=$!
# meanwhile, hostile clients: 300 connections sending garbage and 20 asking
# for the page without ever reading it (a tiny receive buffer), beside
# Prometheus's scrapes; the pings must not lose one
ip netns exec "$LEFT" timeout 20 python3 - "$MPORT" >"$WORK/hostile.out" 2>&1 <<'PY' &
import socket, sys, time, os
port = int(sys.argv[1])
idle = []
for i in range(20):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
    idle.append(s)
for i in range(300):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(os.urandom(200) + b"\r\n\r\n")
    except OSError:
        pass
    s.close()
    time.sleep(0.005)
print("hostile clients done")
time.sleep(3)
PY
hostile=$!
sleep 2.5
b1_out=$(bytes out) b1_in=$(bytes in) p1=$(q 'sum(kite_child_sa_packets_total{direction="out"})')
wait "$ping" || { cat "$WORK/ping1.out"; die "pings through the tunnel failed"; }
wait "$hostile" || true
grep -q "hostile clients done" "$WORK/hostile.out" || { cat "$WORK/hostile.out"; die "the hostile clients did not get through"; }
lost=$(ping_lost "$WORK/ping1.out")
[ "$lost" = 0 ] || die "$lost pings lost beside the hostile metrics clients"
sleep 2.5
b2_out=$(bytes out) b2_in=$(bytes in) p2=$(q 'sum(kite_child_sa_packets_total{direction="out"})')
log "bytes out $b1_out -> $b2_out, in $b1_in -> $b2_in, packets out $p1 -> $p2 (60 pings)"
[ -n "$b1_out" ] && [ -n "$b2_out" ] || die "no byte counters in Prometheus"
[ "$b2_out" -gt "$b1_out" ] && [ "$b2_in" -gt "$b1_in" ] || die "byte counters did not grow with the pings"
[ "$b1_out" -gt 0 ] || die "no bytes counted while pings ran"
[ "$((p2 - p1))" -ge 20 ] || die "packets out grew by $((p2 - p1)) only"
# rate() over the ping window: Prometheus sees the traffic as a rate, too
rate=$(q 'sum(rate(kite_child_sa_packets_total{direction="in"}[15s]))')
log "Prometheus: inbound packet rate over 15 s $rate/s"
bad=$(q 'kite_metrics_clients_closed_total{reason="bad_request"}')
[ "${bad:-0}" -ge 250 ] || die "only ${bad:-0} garbage requests answered 400"
log "hostile metrics clients: 0 pings lost, $bad bad requests answered, $(q 'kite_metrics_clients_closed_total{reason="evicted"}') evicted"
scrapes=$(q 'kite_metrics_scrapes_total')
[ "${scrapes:-0}" -ge 5 ] || die "only ${scrapes:-0} scrapes counted"
kill -0 "${PIDS[1]}" || die "kited is gone"
# stopped with SIGTERM so that a sanitizer build reports leaks (ns_cleanup reads the logs)
kited_stop "${PIDS[1]}"
kited_stop "${PIDS[0]}"
grep -q "kited stopped" "$WORK/l/kited.log" || die "left kited did not stop cleanly"
log "PASS: promtool clean, target up, byte counters grew ($b1_out -> $b2_out out), $scrapes scrapes"
