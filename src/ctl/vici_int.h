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
/* IKE SA ike_id as list-sa shows it (a section named by its connection);
 * false when there is no such SA */
bool vici_cmd_ike_tree(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id);
/* send the event being built in s->ev to c if it registered for ev */
void vici_event_send(struct vici_srv *s, struct unix_client *c, enum vici_event ev);
/* the credential commands (vici_cred.c) and the rest charon has that kite
 * answers without acting (vici_events.c); KITE_E_NOT_FOUND when not theirs */
int vici_cred_run(struct vici_req *r, const char *name);
int vici_misc_run(struct vici_req *r, const char *name);
/* the ike-rekey and child-rekey events for an engine action (vici_events.c) */
void vici_rekey_events(struct vici_srv *s, const struct ike_action *a);
/* list-sa's keys of IKE SA ike_id (without its section or child-sas) and of
 * its Child SA spi_in (without its section); false when there is none */
bool vici_cmd_ike_keys(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id);
bool vici_cmd_child_keys(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id, uint32_t spi_in);
/* answer c's pending initiate (success or errmsg) */
void vici_pending_answer(struct vici_srv *s, struct unix_client *c, const char *errmsg);

#endif
