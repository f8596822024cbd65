/* updown: strongSwan's `updown` scripts (swanctl.conf children.X.updown).
 *
 * The script runs as charon 5.9.8 runs it: `/bin/sh -c "2>&1 SCRIPT"` (the
 * value is a shell command line: a path and arguments), once when a Child
 * SA comes up and once when it goes down (not when it is rekeyed: a rekey's
 * new SA inherits its predecessor's reqid silently, as charon's child_rekey
 * does), with only PATH and the PLUTO_* variables of charon's updown
 * listener in its environment (updown_env).
 *
 * Unlike charon, which waits for the script in one of its threads, kited
 * never waits: each script is a process spawned (posix_spawn) with its
 * output on a pipe logged line by line ("updown: ..."), its exit watched
 * through a pidfd, all in one epoll set the event loop watches
 * (updown_fd); one that outlives the timeout is killed with its process
 * group.  Scripts of one Child SA (one reqid) run one after the other, in
 * the order of the events, so a down never overtakes its up. */
#ifndef KITE_DAEMON_UPDOWN_H
#define KITE_DAEMON_UPDOWN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ike/ike.h"

enum { UPDOWN_SCRIPT_MAX = 512, UPDOWN_ID_MAX = 512 };

/* what a script is told about a Child SA */
struct updown_sa {
    char child[IKE_NAME_MAX];          /* PLUTO_CONNECTION: the child's name, as charon */
    char script[UPDOWN_SCRIPT_MAX];    /* the command line */
    char iface[32];                    /* PLUTO_INTERFACE: the interface holding `me` ("unknown") */
    uint32_t reqid, unique_id, ike_sa; /* unique_id: the IKE SA's (charon's uniqueid) */
    struct ike_addr me, peer;          /* the IKE SA's addresses (peer.port for PLUTO_UDP_ENC) */
    char my_id[UPDOWN_ID_MAX], peer_id[UPDOWN_ID_MAX];
    struct ike_ts_cfg my_ts, peer_ts;  /* the Child SA's selectors */
    bool encap;                        /* UDP-encapsulated (a NAT): PLUTO_UDP_ENC */
    bool hostaccess;                   /* the child's hostaccess = yes: PLUTO_HOST_ACCESS=1 */
};

/* the environment of the script: NULL-terminated envp[] pointing into buf;
 * path: PATH's value (NULL: none).  The number of variables, or -1 when buf
 * or envp (n_envp entries, the NULL included) is too small */
int updown_env(const struct updown_sa *s, bool up, const char *path, char *buf, size_t cap, char **envp,
               size_t n_envp);

typedef void updown_log_fn(void *ctx, int level, const char *msg);

struct updown_job;
struct updown_rec;
struct updown {
    int epfd;                 /* the scripts' pipes and pidfds; -1: not opened */
    uint32_t timeout_ms;      /* a script running longer is killed (default 30 s) */
    updown_log_fn *log;
    void *ctx;
    struct updown_job *jobs;  /* running and waiting, in event order */
    struct updown_rec *recs;  /* Child SAs with a script: grown as needed, no cap */
    size_t n_recs, cap_recs;
    uint32_t next_reqid;
    uint64_t started, failed, killed; /* scripts run, exited other than 0, killed at the timeout */
};

/* 0 or -errno (epoll_create1) */
int updown_init(struct updown *u, uint32_t timeout_ms, updown_log_fn *log, void *ctx);
/* at exit: runs what waits and waits for what runs, each within the timeout
 * (charon runs its down scripts before it exits) */
void updown_finish(struct updown *u);
/* kills what still runs (SIGKILL to each process group) and reaps it */
void updown_free(struct updown *u);
/* the fd for the event loop: readable when a script wrote or exited */
static inline int updown_fd(const struct updown *u)
{
    return u->epfd;
}
/* read what the scripts wrote, reap the ones that exited, start waiting ones */
void updown_run(struct updown *u, uint64_t now);
/* kill the scripts past their time; the next deadline (UINT64_MAX: none) */
uint64_t updown_tick(struct updown *u, uint64_t now);

/* the engine's events.  CHILD_UP: a Child SA with a script (s filled by the
 * caller except reqid) runs it `up`, or, being a rekey (a->child.replaces_spi_in
 * known here), takes over its predecessor's reqid silently.  CHILD_DOWN: the
 * last SA of a reqid runs it `down`.  IKE_DOWN: every Child SA of that IKE SA
 * goes down.  IKE_REKEYED: the Child SAs move to the new IKE SA. */
void updown_child_up(struct updown *u, const struct ike_child_sa *c, const struct updown_sa *s, uint64_t now);
void updown_child_down(struct updown *u, uint32_t spi_in, uint64_t now);
void updown_ike_down(struct updown *u, uint32_t ike_sa, uint64_t now);
void updown_ike_rekeyed(struct updown *u, uint32_t old_ike_sa, uint32_t ike_sa);

/* the daemon's call for each engine action: CHILD_UP of a child whose
 * configuration (conf, by connection and child name) has `updown` fills
 * updown_sa (identities from the engine: ike_sa_info_by_id) */
struct kite_conf;
void updown_action(struct updown *u, struct ike_engine *e, const struct kite_conf *conf, const struct ike_action *a,
                   uint64_t now);

#endif
