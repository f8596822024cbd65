#include "daemon/args.h"
#include "ike/eap_tls.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kited_usage(void)
{
    return "usage: kited --config FILE [--foreground] [--run-dir DIR] [--log-level N]\n"
           "             [--log-file FILE] [--port N] [--natt-port N] [--no-dataplane]\n"
           "       kited --check-config FILE\n"
           "  --config FILE     swanctl.conf-style configuration (connections, secrets)\n"
           "  --foreground      stay in the foreground and log to stdout\n"
           "  --run-dir DIR     pid file and control socket directory (default /run/kite)\n"
           "  --log-level N|LIST  -1 silent .. 4 sensitive, strongSwan's levels (default 1);\n"
           "                    per subsystem: 1,ike=2,esp=0 (dmn cfg ike enc net esp knl any)\n"
           "  --log-format text|json  lines on stdout or the log file (default text)\n"
           "  --log-flush MS    log lines for stdout or the log file: fifty loop rounds\n"
           "                    in a row write at once, then one write every MS\n"
           "                    milliseconds (0..1000, default 10; 0: every round)\n"
           "  --syslog          log to syslog/the journal (the default when detached\n"
           "                    without --log-file); --syslog-socket PATH (default /dev/log)\n"
           "  --port N          IKE port (default 500); --natt-port N: NAT-T port (default 4500)\n"
           "  --no-dataplane    negotiate only: log Child SAs instead of installing them\n"
           "  --retransmit-timeout S, --retransmit-base F, --retransmit-tries N\n"
           "                    IKE retransmissions: first after S seconds, then x F each time,\n"
           "                    N times (strongSwan's charon.retransmit_*; default 4, 1.8, 5)\n"
           "  --busy-poll USEC  after traffic, poll this long before sleeping: lower latency\n"
           "                    for more CPU time (0..10000, default 0: off)\n"
           "  --updown-timeout S   an updown script still running after S seconds is\n"
           "                    killed (default 30)\n"
           "  --keep-alive S    NAT keepalive interval behind a NAT (strongSwan's\n"
           "                    charon.keep_alive; default 20, 0: none)\n"
           "  --cookie-threshold N   half-open IKE SAs from which IKE_SA_INIT needs a\n"
           "                    COOKIE (charon.cookie_threshold; default 30, 0: always)\n"
           "  --block-threshold N    half-open IKE SAs per source address (default 5, 0: none)\n"
           "  --init-limit-half-open N  half-open IKE SAs in all (default 1000, 0: none)\n"
           "  --half-open-timeout S  half-open IKE SAs dropped after S seconds (default 30)\n"
           "  --udp-budget N    datagrams read per socket before timers run (default 64)\n"
           "  --vici URI        VICI control socket for swanctl (default\n"
           "                    unix:///var/run/charon.vici, or RUN_DIR/charon.vici with\n"
           "                    --run-dir; off: none)\n"
           "  --vici-max-clients N  control socket clients at once (default 128)\n"
           "  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
           "                    ([ADDR6]:PORT for IPv6; default: off)\n"
           "  --metrics-max-clients N  metrics clients at once (default 16)\n"
           "  --fragment-size BYTES  largest IP packet of a protected IKE message before it\n"
           "                    goes in RFC 7383 fragments, and of each fragment\n"
           "                    (charon.fragment_size; 256..65535, default 1280)\n"
           "  --eap-tls-fragment-size BYTES  largest EAP-TLS packet sent (64..1405,\n"
           "                    default 1024; charon.plugins.eap-tls.fragment_size)\n"
           "  --eap-tls-max-bytes BYTES  longest TLS message reassembled from the peer's\n"
           "                    EAP-TLS fragments (1024..16777216, default 65536)\n"
           "  --user NAME       once sockets and TUN are open, run as NAME keeping only\n"
           "                    CAP_NET_ADMIN and CAP_NET_RAW (default: stay root)\n"
           "  --keylog FILE     debugging: append IKE and ESP SA keys to FILE in Wireshark's\n"
           "                    ikev2_decryption_table and esp_sa formats (FILE must be\n"
           "                    private: ours, mode 0600, no symbolic link; off by default)\n"
           "  --trap-queue N    packets a trap policy holds while its Child SA is negotiated\n"
           "                    (start_action = trap; default 8, 0: none)\n"
           "  --trap-hold S     an acquire holds them this long at most (default 30)\n"
           "  --trap-retry S    after a failed acquire, none for S seconds (default 2)\n"
           "  --check-config FILE  read and validate FILE (and the credentials beside it),\n"
           "                    print each connection as understood and exit: 0 valid,\n"
           "                    1 refused (binds nothing, changes nothing)\n";
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* a decimal number of units (seconds, a factor) as thousandths */
static int parse_milli(const char *s, int lo, int hi, int *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || v * 1000 < lo || v * 1000 > hi)
        return -1;
    *out = (int)(v * 1000 + 0.5);
    return 0;
}

int kited_args_parse(struct kited_args *a, int argc, char **argv, char *err, unsigned errcap)
{
    static const struct option opts[] = {
        { "config", required_argument, 0, 'c' },  { "run-dir", required_argument, 0, 'r' },
        { "foreground", no_argument, 0, 'f' },    { "log-level", required_argument, 0, 'l' },
        { "log-file", required_argument, 0, 'L' }, { "port", required_argument, 0, 'p' },
        { "natt-port", required_argument, 0, 'n' }, { "help", no_argument, 0, 'h' },
        { "no-dataplane", no_argument, 0, 'D' },
        { "retransmit-timeout", required_argument, 0, 'T' }, { "retransmit-base", required_argument, 0, 'B' },
        { "retransmit-tries", required_argument, 0, 'N' }, { "busy-poll", required_argument, 0, 'P' },
        { "keep-alive", required_argument, 0, 'K' },
        { "cookie-threshold", required_argument, 0, 'C' }, { "block-threshold", required_argument, 0, 'X' },
        { "init-limit-half-open", required_argument, 0, 'H' }, { "half-open-timeout", required_argument, 0, 'O' },
        { "udp-budget", required_argument, 0, 'U' }, { "fragment-size", required_argument, 0, 'F' },
        { "keylog", required_argument, 0, 'k' },
        { "vici", required_argument, 0, 'V' }, { "vici-max-clients", required_argument, 0, 'M' },
        { "user", required_argument, 0, 'u' },
        { "log-format", required_argument, 0, 'J' }, { "syslog", no_argument, 0, 'S' },
        { "syslog-socket", required_argument, 0, 'W' },
        { "metrics", required_argument, 0, 'm' }, { "metrics-max-clients", required_argument, 0, 'Q' },
        { "check-config", required_argument, 0, 'G' },
        { "updown-timeout", required_argument, 0, 1014 },
        { "trap-queue", required_argument, 0, 1101 }, { "trap-hold", required_argument, 0, 1102 },
        { "trap-retry", required_argument, 0, 1103 },
        { "eap-tls-fragment-size", required_argument, 0, 1150 },
        { "eap-tls-max-bytes", required_argument, 0, 1151 },
        { "log-flush", required_argument, 0, 1016 },
        { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    a->run_dir = "/run/kite";
    for (int i = 0; i < LOG_SUBSYS_COUNT; i++)
        a->log_levels[i] = 1;
    a->port = 500;
    a->natt_port = 4500;
    a->keepalive_ms = 20000;
    a->updown_timeout_ms = 30000;
    a->trap_queue = 8;
    a->trap_hold_ms = 30000;
    a->trap_retry_ms = 2000;
    a->cookie_threshold = a->block_threshold = a->init_limit_half_open = a->half_open_timeout_ms = -1;
    a->udp_budget = 64;
    a->log_flush_ms = 10;
    a->vici_max_clients = 128;
    a->metrics_max_clients = 16;
    bool run_dir = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:r:fl:L:p:n:hDT:B:N:P:K:C:X:H:O:U:F:V:M:u:J:SW:m:Q:k:G:", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'c': a->config = optarg; break;
        case 'r': a->run_dir = optarg; run_dir = true; break;
        case 'V': a->vici = optarg; break;
        case 'k': a->keylog = optarg; break;
        case 'G': a->check_config = optarg; break;
        case 'M': bad = parse_int(optarg, 1, 1000000, &a->vici_max_clients); break;
        case 'u': a->user = optarg; bad = !*optarg; break;
        case 'm': a->metrics = optarg; break;
        case 'Q': bad = parse_int(optarg, 1, 100000, &a->metrics_max_clients); break;
        case 'f': a->foreground = true; break;
        case 'D': a->no_dataplane = true; break;
        case 'T': bad = parse_milli(optarg, 100, 600000, &a->retransmit_timeout_ms); break;
        case 'B': bad = parse_milli(optarg, 1000, 10000, &a->retransmit_base_milli); break;
        case 'N': bad = parse_int(optarg, 0, 50, &a->retransmit_tries); break;
        case 'P': bad = parse_int(optarg, 0, 10000, &a->busy_poll_us); break;
        case 'K': bad = parse_milli(optarg, 0, 3600000, &a->keepalive_ms); break;
        case 'C': bad = parse_int(optarg, 0, 100000000, &a->cookie_threshold); break;
        case 'X': bad = parse_int(optarg, 0, 100000000, &a->block_threshold); break;
        case 'H': bad = parse_int(optarg, 0, 100000000, &a->init_limit_half_open); break;
        case 'O': bad = parse_milli(optarg, 1000, 3600000, &a->half_open_timeout_ms); break;
        case 'U': bad = parse_int(optarg, 1, 100000, &a->udp_budget); break;
        case 'F': bad = parse_int(optarg, 256, 65535, &a->fragment_size); break;
        case 'L': a->log_file = optarg; break;
        case 1016: bad = parse_int(optarg, 0, 1000, &a->log_flush_ms); break;
        case 1014: bad = parse_milli(optarg, 100, 3600000, &a->updown_timeout_ms); break;
        case 1101: bad = parse_int(optarg, 0, 100000, &a->trap_queue); break;
        case 1102: bad = parse_milli(optarg, 100, 3600000, &a->trap_hold_ms); break;
        case 1103: bad = parse_milli(optarg, 0, 3600000, &a->trap_retry_ms); break;
        case 1150: bad = parse_int(optarg, EAPTLS_FRAG_MIN, EAPTLS_FRAG_MAX, &a->eap_tls_fragment_size); break;
        case 1151: bad = parse_int(optarg, 1024, 16 << 20, &a->eap_tls_max_bytes); break;
        case 'l':
            if (log_levels_parse(optarg, a->log_levels, err, errcap)) {
                char why[160];
                snprintf(why, sizeof why, "%s", err);
                snprintf(err, errcap, "--log-level: %s", why);
                return -1;
            }
            break;
        case 'J':
            bad = strcmp(optarg, "json") && strcmp(optarg, "text");
            a->log_json = !strcmp(optarg, "json");
            break;
        case 'S': a->syslog = true; break;
        case 'W': a->syslog_socket = optarg; bad = optarg[0] != '/'; break;
        case 'p': bad = parse_int(optarg, 0, 65535, &a->port); break;
        case 'n': bad = parse_int(optarg, 0, 65535, &a->natt_port); break;
        case 'h': return 1;
        default:
            snprintf(err, errcap, "unknown or incomplete option '%s'", argv[optind - 1]);
            return -1;
        }
        if (bad) {
            snprintf(err, errcap, "invalid value '%s' for %s", optarg, argv[optind - 2 < 0 ? 0 : optind - 2]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errcap, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (!a->vici && run_dir) {
        int n = snprintf(a->vici_buf, sizeof a->vici_buf, "unix://%s/charon.vici", a->run_dir);
        if (n < 0 || (size_t)n >= sizeof a->vici_buf) {
            snprintf(err, errcap, "--run-dir is too long for the control socket (use --vici)");
            return -1;
        }
        a->vici = a->vici_buf;
    }
    if (!a->vici)
        a->vici = "unix:///var/run/charon.vici";
    if (!strcmp(a->vici, "off"))
        a->vici = NULL;
    if (!a->config && !a->check_config) {
        snprintf(err, errcap, "--config FILE is required");
        return -1;
    }
    return 0;
}
