/* vici_int: what the VICI server (vici.c) and its commands (vici_cmd.c) share. */
#ifndef KITE_CTL_VICI_INT_H
#define KITE_CTL_VICI_INT_H
#include <time.h>
#include "ctl/vici.h"
#include "ctl/vici_msg.h"
#include "io/unix.h"

/* the events a client may register for (charon's names, vici.c) */
enum vici_event {
    VICI_EV_LOG, VICI_EV_CONTROL_LOG, VICI_EV_IKE_UPDOWN, VICI_EV_CHILD_UPDOWN, VICI_EV_IKE_REKEY,
    VICI_EV_CHILD_REKEY, VICI_EV_LIST_SA, VICI_EV_LIST_CONN, VICI_EV_LIST_POLICY, VICI_EV_LIST_CERT,
    VICI_EV_LIST_AUTHORITY, VICI_EV_COUNT
};

/* an initiate waiting for its Child SA */
struct vici_pending {
    bool active;
    char conn[IKE_NAME_MAX], child[IKE_NAME_MAX];
    uint64_t deadline;   /* UINT64_MAX: none */
    int loglevel;
};

struct vici_client {
    uint32_t events;     /* 1 << enum vici_event */
    struct vici_pending pending;
};

struct vici_srv {
    struct unix_srv *u;
    struct vici_env env;
    struct vici_bld resp, ev, ans; /* ans: answers to pending initiates, which come from within commands */
    time_t started;      /* wall clock, for stats' "since" */
    uint64_t started_ms;
    uint64_t requests, unknown;
    struct cred_store *creds;      /* loaded over VICI (vici_cred.c) */
    /* clear-creds also clears the shared secrets loaded over VICI: set by
     * their owner (load-shared); NULL: none */
    void (*clear_shared)(struct vici_srv *s);
};

/* one request being answered */
struct vici_req {
    struct vici_srv *s;
    struct unix_client *c;
    struct vici_client *vc;
    struct span msg;
    struct vici_bld *b; /* the CMD_RESPONSE, begun */
    bool defer;         /* the answer comes later (initiate) */
};

/* run command `name`; KITE_E_NOT_FOUND when there is none */
int vici_cmd_run(struct vici_req *r, const char *name);
/* get-counters, reset-counters (vici_counters.c); KITE_E_NOT_FOUND for others */
int vici_counters_run(struct vici_req *r, const char *name);
/* the same for the reconfiguration commands (vici_conn.c) */
int vici_conn_run(struct vici_req *r, const char *name);
/* a request's message as the settings tree a swanctl.conf gives (lists
 * comma-joined; each node named by its key path after cmd, for messages);
 * 0, or -1 with err (binary or non-printable values) */
struct set_tree;
int vici_conn_tree(struct span msg, const char *cmd, struct set_tree *t, char *err, size_t cap);
/* IKE SA ike_id as list-sa shows it (a section named by its connection);
 * false when there is no such SA */
bool vici_cmd_ike_tree(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id);
/* send the event being built in s->ev to c if it registered for ev */
void vici_event_send(struct vici_srv *s, struct unix_client *c, enum vici_event ev);
/* the credential commands (vici_cred.c) and the rest charon has that kite
 * answers without acting (vici_events.c); KITE_E_NOT_FOUND when not theirs */
int vici_cred_run(struct vici_req *r, const char *name);
int vici_misc_run(struct vici_req *r, const char *name);
/* the running configuration changed by fn (0, or -1 with an errmsg in err)
 * made to run and answered (success, errmsg) as load-conn is (vici_conn.c) */
struct kite_conf;
int vici_conf_change(struct vici_req *r, int (*fn)(struct kite_conf *c, void *arg, char *err, size_t cap),
                     void *arg);
/* vici_pool.c: get-pools, load-pool, unload-pool */
int vici_cmd_get_pools(struct vici_req *r);
int vici_cmd_load_pool(struct vici_req *r);
int vici_cmd_unload_pool(struct vici_req *r);
/* the ike-rekey and child-rekey events for an engine action (vici_events.c) */
void vici_rekey_events(struct vici_srv *s, const struct ike_action *a);
/* list-sa's keys of IKE SA ike_id (without its section or child-sas) and of
 * its Child SA spi_in (without its section); false when there is none */
bool vici_cmd_ike_keys(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id);
bool vici_cmd_child_keys(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id, uint32_t spi_in);
/* answer c's pending initiate (success or errmsg) */
void vici_pending_answer(struct vici_srv *s, struct unix_client *c, const char *errmsg);

#endif
