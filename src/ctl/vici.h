/* vici: kited's VICI control socket (strongSwan's protocol, so that swanctl
 * and the VICI client libraries work unchanged).  docs/control.md lists what
 * is supported.
 *
 * The server (vici.c) decodes packets from io/unix, keeps each client's
 * event registrations and raises events; the commands (vici_cmd.c; the
 * reconfiguring ones in vici_conn.c) read the
 * engine and answer with charon 5.9.8's keys.  A command that changes the
 * engine (initiate, terminate, rekey) calls env.drain so that the daemon
 * carries out the engine's actions at once.  initiate answers when the Child
 * SA is up, the IKE SA fails, or its timeout passes: the client waits, the
 * loop does not. */
#ifndef KITE_CTL_VICI_H
#define KITE_CTL_VICI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike/ike.h"

struct uesp;
struct kite_conf;
struct log_sink;

struct trap_table;
struct vici_env {
    struct ike_engine *ike;
    const struct uesp *esp;   /* the data plane's SAs (byte counters); NULL without one */
    struct log_sink *log;
    void (*drain)(void *ctx); /* the engine's actions to the daemon, now */
    void *ctx;
    /* the credentials loaded over VICI (vici_srv_creds) changed: the daemon
     * gives the engine a new snapshot of its files' and these; 0 or
     * KITE_E_*.  NULL: they are only kept (tests) */
    int (*creds_changed)(void *ctx);
    /* the engine's snapshot (files and VICI) for list-certs; NULL: the VICI
     * set alone is listed */
    const struct cred_store *(*creds_live)(void *ctx);
    /* reload-settings: re-read what can be without a restart; 0 or -1
     * (the reason logged).  NULL: nothing can be */
    int (*reload)(void *ctx);
    /* reconfiguration (vici_conn.c): the running configuration, and how to
     * make a changed copy of it run (daemon/reconf.c: taken over on 0; -1
     * with err when conn, the connection just loaded, cannot be, and nothing
     * changed).  NULL: load-conn and the like are refused */
    struct kite_conf **conf;
    int (*apply)(void *ctx, struct kite_conf *c, const char *conn, char *err, size_t cap);
    /* the daemon's trap policies for list-policies (sa/trap.h); NULL: none */
    const struct trap_table *traps;
};

struct vici_cfg {
    unsigned max_clients; /* --vici-max-clients (default 128) */
    size_t max_out;       /* output queued per client before it is dropped (default 4 MB) */
};

struct vici_srv;

/* "unix:///path" → "/path"; 0 or KITE_E_INVALID_ARG (another scheme, a
 * relative or too long path) */
int vici_uri_path(const char *uri, char *path, size_t cap);
/* listen on uri; 0 or a negative errno / KITE_E_* with err filled */
int vici_srv_open(struct vici_srv **out, const char *uri, const struct vici_cfg *cfg, const struct vici_env *env,
                  char *err, size_t cap);
/* the fd for the daemon's loop, and what to do when it is readable */
int vici_srv_fd(const struct vici_srv *s);
void vici_srv_run(struct vici_srv *s);
/* the engine did something (ike-updown, child-updown events; pending initiates) */
void vici_srv_action(struct vici_srv *s, const struct ike_action *a);
/* a log line (the log and control-log events) */
void vici_srv_log(struct vici_srv *s, int subsys, int level, const char *msg);
/* initiates whose timeout passed are answered; the next such time or UINT64_MAX */
uint64_t vici_srv_tick(struct vici_srv *s, uint64_t now);
void vici_srv_close(struct vici_srv *s);
/* the credentials loaded over VICI (load-cert, load-key; vici_cred.c), never
 * NULL once open: the daemon merges them with its files' (cred_store_merge) */
struct cred_store;
const struct cred_store *vici_srv_creds(const struct vici_srv *s);
/* forget every credential loaded over VICI (clear-creds; the shared secrets
 * of load-shared are cleared by the clear_shared hook of vici_int.h);
 * 0 or KITE_E_NOMEM */
int vici_cred_clear(struct vici_srv *s);
/* the socket's client counts (io/unix.h), for the metrics page */
struct unix_srv_stats;
void vici_srv_get_stats(const struct vici_srv *s, struct unix_srv_stats *st);

#endif
