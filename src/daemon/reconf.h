/* reconf: one way to (re)configure the running daemon, for its start, a
 * SIGHUP and the VICI commands (load-conn, unload-conn, load-shared,
 * unload-shared): the engine is made to run a whole new configuration by
 * the difference between it and what runs.  Unchanged connections keep
 * their SAs (same SPIs); changed ones are replaced and their SAs closed,
 * then started again per start_action; removed ones have their SAs closed;
 * new ones are added and started.  docs/daemon.md (SIGHUP), docs/control.md. */
#ifndef KITE_DAEMON_RECONF_H
#define KITE_DAEMON_RECONF_H
#include <stddef.h>
#include <stdint.h>
#include "conf/conf.h"
#include "cred/store.h"
#include "daemon/args.h"
#include "ike/ike.h"

struct log_sink;

struct reconf {
    struct ike_engine *ike;
    struct log_sink *log;
    const struct cred_store *creds;
    const struct kited_args *args;
};

struct reconf_count {
    int added, replaced, unchanged, removed, psks, failed;
};

/* connection i of c as the engine takes it (bridge_conn with the command
 * line's retransmission and keepalive settings): 0, 1 (a warning in err) or
 * -1 (why not in err) */
int reconf_conn(const struct reconf *r, const struct kite_conf *c, int i, struct ike_conn_cfg *out, char *err,
                size_t cap);
/* make the engine run configuration c; what happened in *n (may be NULL) */
void reconf_apply(const struct reconf *r, const struct kite_conf *c, uint64_t now, struct reconf_count *n);
/* the same for a configuration changed by a VICI command: when conn names
 * the connection just loaded and it cannot be loaded (no PSK for it, a
 * certificate not loaded), -1 with why in err and nothing changed; else c
 * runs and replaces *running (the old one freed), 0.  c is the caller's
 * to free only on -1. */
int reconf_commit(const struct reconf *r, struct kite_conf **running, struct kite_conf *c, const char *conn,
                  uint64_t now, char *err, size_t cap);

#endif
