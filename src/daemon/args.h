/* args: kited's command line. */
#ifndef KITE_DAEMON_ARGS_H
#define KITE_DAEMON_ARGS_H
#include <stdbool.h>
#include "base/log.h"

struct kited_args {
    const char *config;  /* --config FILE (required) */
    const char *run_dir; /* --run-dir DIR: pid file and control socket (default /run/kite) */
    bool foreground;     /* --foreground: log to stdout, do not detach */
    /* --log-level N or a list "1,ike=2,esp=0": strongSwan levels -1..4 per
     * subsystem (default 1) */
    int log_levels[LOG_SUBSYS_COUNT];
    bool log_json;       /* --log-format json: JSON lines on stdout or the log file */
    bool syslog;         /* --syslog: to syslog/the journal (default when detached without --log-file) */
    const char *syslog_socket; /* --syslog-socket PATH (default /dev/log) */
    const char *log_file;/* --log-file FILE (default: stdout in foreground, run_dir/kited.log otherwise) */
    int port;            /* --port N: IKE port (default 500) */
    int natt_port;       /* --natt-port N: NAT-T port (default 4500) */
    bool no_dataplane;   /* --no-dataplane: Child SAs are logged, not installed */
    /* strongSwan's charon.retransmit_timeout/_base/_tries (0: the defaults 4 s, 1.8, 5) */
    int retransmit_timeout_ms, retransmit_base_milli, retransmit_tries;
    int log_flush_ms;    /* --log-flush MS: log writes paced to one per MS after 50 rounds in a row (default 10, 0: each round) */
    int busy_poll_us;    /* --busy-poll USEC: poll this long after traffic before sleeping (0: off) */
    /* --keep-alive S: NAT keepalive interval (strongSwan's charon.keep_alive; default 20 s, 0: off) */
    int keepalive_ms;
    /* limits against unauthenticated senders (strongSwan's charon.* names);
     * -1: the engine's default (ike_limits_default) */
    int cookie_threshold, block_threshold, init_limit_half_open, half_open_timeout_ms;
    /* --vici URI: the VICI control socket (default unix:///var/run/charon.vici,
     * RUN_DIR/charon.vici with --run-dir; "off": none) */
    const char *vici;
    char vici_buf[300];
    int vici_max_clients; /* --vici-max-clients N (default 128) */
    int udp_budget;      /* --udp-budget N: datagrams read per socket per wakeup (default 64) */
    int fragment_size;   /* --fragment-size BYTES: IKE fragmentation (RFC 7383); 0: the engine's 1280 */
    const char *user;    /* --user NAME: drop to it once everything is open (NULL: stay root) */
    const char *metrics; /* --metrics ADDR:PORT: the Prometheus page (NULL: off) */
    int metrics_max_clients; /* --metrics-max-clients N (default 16) */
    const char *keylog;  /* --keylog FILE: IKE/ESP keys for Wireshark (off: NULL) */
    const char *check_config; /* --check-config FILE: validate, print, exit (NULL: run) */
    int updown_timeout_ms; /* --updown-timeout S: updown scripts are killed after this (default 30 s) */
    /* trap policies (daemon/traps.c, sa/trap.h): --trap-queue N packets held
     * per acquire (default 8), --trap-hold S an acquire holds them at most
     * (default 30), --trap-retry S none after a failed one (default 2) */
    int trap_queue, trap_hold_ms, trap_retry_ms;
    /* --eap-tls-fragment-size BYTES, --eap-tls-max-bytes BYTES: EAP-TLS's
     * largest EAP packet and longest reassembled TLS message; 0: the engine's */
    int eap_tls_fragment_size, eap_tls_max_bytes;
};

/* 0 on success; -1 with a message in err on a bad command line; 1 for --help */
int kited_args_parse(struct kited_args *a, int argc, char **argv, char *err, unsigned errcap);
const char *kited_usage(void);

#endif
