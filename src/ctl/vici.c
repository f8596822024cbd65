/* vici: the control socket's server side: packets in, commands run, events
 * out (see vici.h; the protocol in vici_msg.h). */
#include "ctl/vici_int.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "cred/store.h"
#include "io/loop.h"

static const char *const event_names[VICI_EV_COUNT] = {
    "log", "control-log", "ike-updown", "child-updown", "ike-rekey", "child-rekey", "list-sa", "list-conn",
    "list-policy", "list-cert", "list-authority",
};

int vici_uri_path(const char *uri, char *path, size_t cap)
{
    static const char scheme[] = "unix://";
    if (strncmp(uri, scheme, sizeof scheme - 1))
        return KITE_E_INVALID_ARG;
    const char *p = uri + sizeof scheme - 1;
    if (p[0] != '/' || strlen(p) >= cap)
        return KITE_E_INVALID_ARG;
    memcpy(path, p, strlen(p) + 1);
    return 0;
}

static void send_built(struct vici_srv *s, struct unix_client *c, struct vici_bld *b)
{
    struct span out;
    if (vici_bld_finish(b, &out) == 0)
        unix_client_send(c, out.p, out.n);
    else /* a response too big to build: the client gets nothing more */
        unix_client_close(c);
    (void)s;
}

void vici_event_send(struct vici_srv *s, struct unix_client *c, enum vici_event ev)
{
    struct vici_client *vc = unix_client_data(c);
    if (vc && (vc->events & 1u << ev))
        send_built(s, c, &s->ev);
}

static int find_event(struct span name)
{
    for (int i = 0; i < VICI_EV_COUNT; i++)
        if (strlen(event_names[i]) == name.n && !memcmp(event_names[i], name.p, name.n))
            return i;
    return -1;
}

/* EVENT_REGISTER / EVENT_UNREGISTER: EVENT_CONFIRM, or EVENT_UNKNOWN */
static void on_register(struct vici_srv *s, struct unix_client *c, struct vici_client *vc,
                        const struct vici_packet *p)
{
    int ev = find_event(p->name);
    if (ev >= 0 && p->op == VICI_EVENT_REGISTER)
        vc->events |= 1u << ev;
    else if (ev >= 0)
        vc->events &= ~(1u << ev);
    vici_bld_packet(&s->resp, ev >= 0 ? VICI_EVENT_CONFIRM : VICI_EVENT_UNKNOWN, NULL);
    send_built(s, c, &s->resp);
}

static void on_request(struct vici_srv *s, struct unix_client *c, struct vici_client *vc,
                       const struct vici_packet *p)
{
    char name[256];
    memcpy(name, p->name.p, p->name.n);
    name[p->name.n] = 0;
    s->requests++;
    struct vici_req r = { s, c, vc, p->msg, &s->resp, false };
    vici_bld_packet(&s->resp, VICI_CMD_RESPONSE, NULL);
    int rc = vc->pending.active ? KITE_E_STATE : vici_cmd_run(&r, name);
    if (rc == KITE_E_NOT_FOUND) {
        s->unknown++;
        vici_bld_packet(&s->resp, VICI_CMD_UNKNOWN, NULL);
    } else if (rc == KITE_E_STATE) { /* one command at a time per connection (the protocol has no IDs) */
        vici_bld_packet(&s->resp, VICI_CMD_RESPONSE, NULL);
        vici_bld_kv_str(&s->resp, "success", "no");
        vici_bld_kv_str(&s->resp, "errmsg", "a command is still running on this connection");
    }
    if (!r.defer)
        send_built(s, c, &s->resp);
}

/* one packet from a client; nonzero closes it */
static int on_frame(void *ctx, struct unix_client *c, const uint8_t *p, size_t n)
{
    struct vici_srv *s = ctx;
    struct vici_client *vc = unix_client_data(c);
    struct vici_packet pk;
    if (!vc) {
        vc = calloc(1, sizeof *vc);
        if (!vc)
            return 1;
        unix_client_set_data(c, vc);
    }
    int rc = vici_packet_decode(span_of(p, n), &pk);
    if (!rc && vici_op_has_msg(pk.op))
        rc = vici_msg_walk(pk.msg, VICI_DEPTH_MAX, NULL, NULL);
    if (!rc && pk.op == VICI_CMD_REQUEST)
        on_request(s, c, vc, &pk);
    else if (!rc && (pk.op == VICI_EVENT_REGISTER || pk.op == VICI_EVENT_UNREGISTER))
        on_register(s, c, vc, &pk);
    else {
        log_msg(s->env.log, LOG_CFG, 1, "vici: closing client (pid %d): %s %s", unix_client_pid(c),
                rc ? "malformed message:" : "unexpected packet", rc ? kite_strerror(rc) : vici_op_name(pk.op));
        return 1;
    }
    return 0;
}

static void tap_level(struct vici_srv *s);

static void on_gone(void *ctx, struct unix_client *c)
{
    struct vici_client *vc = unix_client_data(c);
    bool pending = vc && vc->pending.active;
    free(vc);
    unix_client_set_data(c, NULL);
    if (pending) /* its control-log level is not wanted any more */
        tap_level(ctx);
}

static void on_note(void *ctx, const char *msg)
{
    struct vici_srv *s = ctx;
    log_msg(s->env.log, LOG_CFG, 1, "vici: %s", msg);
}

/* the log tap: log events to the clients that asked, control-log to the
 * ones waiting for an initiate at that level */
static void on_log(void *ctx, int subsys, int level, const char *msg)
{
    vici_srv_log(ctx, subsys, level, msg);
}

int vici_srv_open(struct vici_srv **out, const char *uri, const struct vici_cfg *cfg, const struct vici_env *env,
                  char *err, size_t cap)
{
    char path[256];
    *out = NULL;
    if (vici_uri_path(uri, path, sizeof path)) {
        snprintf(err, cap, "--vici %s: only unix:///absolute/path is supported", uri);
        return KITE_E_INVALID_ARG;
    }
    struct vici_srv *s = calloc(1, sizeof *s);
    if (!s)
        return KITE_E_NOMEM;
    s->env = *env;
    s->started = time(NULL);
    s->started_ms = loop_now_ms();
    vici_bld_init(&s->resp, 0);
    vici_bld_init(&s->ev, 0);
    vici_bld_init(&s->ans, 0);
    if (cred_store_empty(&s->creds)) {
        vici_srv_close(s);
        return KITE_E_NOMEM;
    }
    struct unix_srv_cfg ucfg = { VICI_MSG_MAX, cfg->max_out ? cfg->max_out : 4u << 20,
                                 cfg->max_clients ? cfg->max_clients : 128, 0770, 64 };
    struct unix_srv_ops ops = { on_frame, on_gone, on_note, s };
    int rc = unix_srv_open(&s->u, path, &ucfg, &ops);
    if (rc) {
        snprintf(err, cap, "control socket %s: %s", path,
                 rc == -EADDRINUSE ? "another daemon answers there" :
                 rc == -EEXIST ? "something other than a socket is there" : strerror(-rc));
        vici_srv_close(s);
        return rc;
    }
    if (s->env.log) {
        s->env.log->tap = on_log;
        s->env.log->tap_ctx = s;
    }
    *out = s;
    return 0;
}

int vici_srv_fd(const struct vici_srv *s)
{
    return unix_srv_fd(s->u);
}

void vici_srv_run(struct vici_srv *s)
{
    unix_srv_run(s->u);
}

/* the highest control-log level a pending initiate wants (the tap's level) */
static void tap_level(struct vici_srv *s)
{
    int lvl = -1;
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c)) {
        struct vici_client *vc = unix_client_data(c);
        if (vc && vc->pending.active && vc->pending.loglevel > lvl)
            lvl = vc->pending.loglevel;
    }
    if (s->env.log)
        s->env.log->tap_level = lvl;
}

void vici_pending_answer(struct vici_srv *s, struct unix_client *c, const char *errmsg)
{
    struct vici_client *vc = unix_client_data(c);
    vc->pending.active = false;
    vici_bld_packet(&s->ans, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(&s->ans, "success", errmsg ? "no" : "yes");
    if (errmsg)
        vici_bld_kv_str(&s->ans, "errmsg", errmsg);
    send_built(s, c, &s->ans);
    tap_level(s);
}

void vici_srv_log(struct vici_srv *s, int subsys, int level, const char *msg)
{
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c)) {
        struct vici_client *vc = unix_client_data(c);
        bool ctl = vc && vc->pending.active && level <= vc->pending.loglevel && (vc->events & 1u << VICI_EV_CONTROL_LOG);
        bool all = vc && (vc->events & 1u << VICI_EV_LOG) && s->env.log && level <= s->env.log->level[subsys];
        if (!ctl && !all)
            continue;
        vici_bld_packet(&s->ev, VICI_EVENT, ctl ? "control-log" : "log");
        vici_bld_kv_str(&s->ev, "group", log_subsys_name((enum log_subsys)subsys));
        vici_bld_kv_fmt(&s->ev, "level", "%d", level);
        vici_bld_kv_str(&s->ev, "thread", "0");
        vici_bld_kv(&s->ev, "msg", msg, strlen(msg) < 65535 ? strlen(msg) : 65535);
        vici_event_send(s, c, ctl ? VICI_EV_CONTROL_LOG : VICI_EV_LOG);
    }
}

/* ike-updown / child-updown: as charon, the IKE SA as list-sa shows it,
 * with up = yes when it comes up.  One going down is already gone from the
 * engine: its name and uniqueid (and the Child SA's name and SPI) only */
static void updown(struct vici_srv *s, const struct ike_action *a, bool ike, bool up)
{
    uint32_t id = ike ? a->ike_sa : a->child.ike_sa;
    const char *conn = a->conn[0] ? a->conn : a->child.conn;
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c)) {
        struct vici_client *vc = unix_client_data(c);
        if (!vc || !(vc->events & 1u << (ike ? VICI_EV_IKE_UPDOWN : VICI_EV_CHILD_UPDOWN)))
            continue;
        vici_bld_packet(&s->ev, VICI_EVENT, ike ? "ike-updown" : "child-updown");
        if (up)
            vici_bld_kv_str(&s->ev, "up", "yes");
        if (!vici_cmd_ike_tree(s, &s->ev, id)) {
            vici_bld_section(&s->ev, conn[0] ? conn : "unknown");
            vici_bld_kv_fmt(&s->ev, "uniqueid", "%u", id);
            if (!ike) {
                char name[IKE_NAME_MAX + 16];
                snprintf(name, sizeof name, "%s-%u", a->child.name, a->child.spi_in);
                vici_bld_section(&s->ev, "child-sas");
                vici_bld_section(&s->ev, name);
                vici_bld_kv_str(&s->ev, "name", a->child.name);
                vici_bld_kv_fmt(&s->ev, "uniqueid", "%u", a->child.spi_in);
                vici_bld_kv_fmt(&s->ev, "spi-in", "%.8x", a->child.spi_in);
                vici_bld_end(&s->ev);
                vici_bld_end(&s->ev);
            }
            vici_bld_end(&s->ev);
        }
        vici_event_send(s, c, ike ? VICI_EV_IKE_UPDOWN : VICI_EV_CHILD_UPDOWN);
    }
}

/* a pending initiate ends with its Child SA up or its IKE SA down */
static void settle(struct vici_srv *s, const struct ike_action *a)
{
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c)) {
        struct vici_client *vc = unix_client_data(c);
        if (!vc || !vc->pending.active)
            continue;
        if (a->type == IKE_ACT_CHILD_UP && !strcmp(a->child.conn, vc->pending.conn) &&
            (!vc->pending.child[0] || !strcmp(a->child.name, vc->pending.child)))
            vici_pending_answer(s, c, NULL);
        else if (a->type == IKE_ACT_IKE_DOWN && !strcmp(a->conn, vc->pending.conn)) {
            char msg[sizeof a->reason + 2 * IKE_NAME_MAX + 40];
            snprintf(msg, sizeof msg, "establishing CHILD_SA '%s' failed: %s",
                     vc->pending.child[0] ? vc->pending.child : vc->pending.conn, a->reason);
            vici_pending_answer(s, c, msg);
        }
    }
}

void vici_srv_action(struct vici_srv *s, const struct ike_action *a)
{
    switch (a->type) {
    case IKE_ACT_IKE_UP: updown(s, a, true, true); break;
    case IKE_ACT_IKE_DOWN: updown(s, a, true, false); settle(s, a); break;
    case IKE_ACT_CHILD_UP: updown(s, a, false, true); settle(s, a); break;
    case IKE_ACT_CHILD_DOWN: updown(s, a, false, false); break;
    default: break;
    }
    vici_rekey_events(s, a);
}

uint64_t vici_srv_tick(struct vici_srv *s, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c)) {
        struct vici_client *vc = unix_client_data(c);
        if (!vc || !vc->pending.active)
            continue;
        if (vc->pending.deadline <= now)
            vici_pending_answer(s, c, "initiate timed out; the IKE SA goes on being established");
        else if (vc->pending.deadline < next)
            next = vc->pending.deadline;
    }
    return next;
}

void vici_srv_get_stats(const struct vici_srv *s, struct unix_srv_stats *st)
{
    unix_srv_get_stats(s->u, st);
}

void vici_srv_close(struct vici_srv *s)
{
    if (!s)
        return;
    if (s->env.log && s->env.log->tap_ctx == s) {
        s->env.log->tap = NULL;
        s->env.log->tap_level = -1;
    }
    unix_srv_close(s->u);
    vici_bld_free(&s->resp);
    vici_bld_free(&s->ev);
    vici_bld_free(&s->ans);
    cred_store_unref(s->creds);
    free(s);
}
