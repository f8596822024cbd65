/* vici_cmd: the VICI commands kited answers, with charon 5.9.8's request
 * and response keys (strongSwan's vici README and vici_query.c /
 * vici_control.c, read to learn the keys): version, stats, list-sas,
 * list-conns, get-conns, initiate, terminate, rekey.  Numbers are decimal
 * strings, SPIs hex, enum values in charon's spelling, as swanctl --raw and
 * the client libraries expect. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include "base/err.h"
#include "base/log.h"
#include "cred/id.h"
#include "crypto/registry.h"
#include "ctl/vici_int.h"
#include "io/loop.h"
#include "sa/uesp.h"
#include "wire/ike.h"

/* ---- formatting as charon prints ---- */

/* an identity as charon prints it (%Y) */
static const char *id_str(const struct ike_id_cfg *id, char *buf, size_t cap)
{
    if (!id || id->type == 0)
        return "%any";
    cred_id_format(id->type, span_of(id->data, id->len), buf, cap);
    return buf;
}

static const char *host_str(const struct ike_addr *a, char *buf, size_t cap)
{
    if (!a->family)
        return "%any";
    return inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, buf, (socklen_t)cap);
}

/* charon's names: the registry's, but integrity without AUTH_ and the curves
 * with an underscore */
static const char *alg_name(enum xf_type t, uint16_t id, uint16_t bits)
{
    const struct xf_info *x = xf_lookup(t, id, bits);
    if (!x && t == XF_ENCR)
        x = xf_lookup(t, id, 0);
    if (!x)
        return NULL;
    if (t == XF_INTEG && !strncmp(x->name, "AUTH_", 5))
        return x->name + 5;
    if (t == XF_KE && !strcmp(x->name, "CURVE25519"))
        return "CURVE_25519";
    if (t == XF_KE && !strcmp(x->name, "CURVE448"))
        return "CURVE_448";
    if (t == XF_ENCR && !strcmp(x->name, "3DES"))
        return "3DES_CBC";
    return x->name;
}

static void kv_alg(struct vici_bld *b, const char *key, enum xf_type t, uint16_t id, uint16_t bits)
{
    const char *n = id ? alg_name(t, id, bits) : NULL;
    if (n)
        vici_bld_kv_str(b, key, n);
    else if (id)
        vici_bld_kv_fmt(b, key, "%u", id);
}

/* prefix length of lo..hi, or -1 when the range is not a prefix */
static int prefix_len(const uint8_t *lo, const uint8_t *hi, int bytes)
{
    int len = 0;
    bool host = false;
    for (int i = 0; i < bytes * 8; i++) {
        int bl = lo[i / 8] >> (7 - i % 8) & 1, bh = hi[i / 8] >> (7 - i % 8) & 1;
        if (!host && bl == bh) {
            len++;
            continue;
        }
        host = true;
        if (bl != 0 || bh != 1)
            return -1;
    }
    return len;
}

/* a traffic selector (charon's %R): 10.1.0.0/16, a range lo..hi, then
 * [proto/port] when not all */
static const char *ts_str(const struct ike_ts_cfg *t, char *buf, size_t cap)
{
    int bytes = t->family == 6 ? 16 : 4, af = t->family == 6 ? AF_INET6 : AF_INET;
    char lo[48], hi[48];
    inet_ntop(af, t->lo, lo, sizeof lo);
    inet_ntop(af, t->hi, hi, sizeof hi);
    int pl = prefix_len(t->lo, t->hi, bytes);
    size_t o = t->dynamic ? (size_t)snprintf(buf, cap, "dynamic") /* a configuration's: resolved per IKE SA */
               : pl >= 0  ? (size_t)snprintf(buf, cap, "%s/%d", lo, pl)
                          : (size_t)snprintf(buf, cap, "%s..%s", lo, hi);
    bool any_port = t->port_lo == 0 && t->port_hi == 0xffff;
    if (o < cap && (t->ip_proto || !any_port)) {
        const char *p = t->ip_proto == 6 ? "tcp" : t->ip_proto == 17 ? "udp" : t->ip_proto == 1 ? "icmp" : NULL;
        char proto[8];
        if (!p)
            snprintf(proto, sizeof proto, "%u", t->ip_proto);
        if (any_port)
            snprintf(buf + o, cap - o, "[%s]", p ? p : proto);
        else if (t->port_lo == t->port_hi)
            snprintf(buf + o, cap - o, "[%s/%u]", p ? p : proto, t->port_lo);
        else
            snprintf(buf + o, cap - o, "[%s/%u-%u]", p ? p : proto, t->port_lo, t->port_hi);
    }
    return buf;
}

static uint64_t spi64(const uint8_t s[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | s[i];
    return v;
}

static bool arg_str(struct vici_req *r, const char *key, char *buf, size_t cap)
{
    return vici_msg_get_str(r->msg, key, buf, cap) && buf[0];
}

static long arg_int(struct vici_req *r, const char *key, long dflt)
{
    char buf[24], *end;
    if (!arg_str(r, key, buf, sizeof buf))
        return dflt;
    long v = strtol(buf, &end, 10);
    return *end ? dflt : v;
}

static void fail(struct vici_req *r, const char *fmt, const char *arg)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, arg);
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", "no");
    vici_bld_kv_str(r->b, "errmsg", msg);
}

/* ---- version, stats ---- */

static int cmd_version(struct vici_req *r)
{
    struct utsname u;
    uname(&u);
    vici_bld_kv_str(r->b, "daemon", "kited");
    vici_bld_kv_str(r->b, "version", "kite");
    vici_bld_kv_str(r->b, "sysname", u.sysname);
    vici_bld_kv_str(r->b, "release", u.release);
    vici_bld_kv_str(r->b, "machine", u.machine);
    return 0;
}

/* charon's "%V": the largest whole unit */
static void running(uint64_t s, char *buf, size_t cap)
{
    static const struct { const char *unit; uint64_t secs; } u[] = {
        { "day", 86400 }, { "hour", 3600 }, { "minute", 60 }, { "second", 1 } };
    for (size_t i = 0; i < 4; i++)
        if (s >= u[i].secs || i == 3) {
            uint64_t n = s / u[i].secs;
            snprintf(buf, cap, "%llu %s%s", (unsigned long long)n, u[i].unit, n == 1 ? "" : "s");
            return;
        }
}

static int cmd_stats(struct vici_req *r)
{
    struct vici_bld *b = r->b;
    struct ike_stats st;
    char buf[64];
    struct tm tm;
    ike_engine_stats(r->s->env.ike, &st);
    vici_bld_section(b, "uptime");
    running((loop_now_ms() - r->s->started_ms) / 1000, buf, sizeof buf);
    vici_bld_kv_str(b, "running", buf);
    localtime_r(&r->s->started, &tm);
    strftime(buf, sizeof buf, "%b %d %H:%M:%S %Y", &tm);
    vici_bld_kv_str(b, "since", buf);
    vici_bld_end(b);
    /* kited is one thread with no job queues: one worker, nothing queued */
    vici_bld_section(b, "workers");
    vici_bld_kv_str(b, "total", "1");
    vici_bld_kv_str(b, "idle", "1");
    vici_bld_section(b, "active");
    static const char *const prio[] = { "critical", "high", "medium", "low" };
    for (int i = 0; i < 4; i++)
        vici_bld_kv_str(b, prio[i], "0");
    vici_bld_end(b);
    vici_bld_end(b);
    vici_bld_section(b, "queues");
    for (int i = 0; i < 4; i++)
        vici_bld_kv_str(b, prio[i], "0");
    vici_bld_end(b);
    vici_bld_kv_str(b, "scheduled", "0");
    vici_bld_section(b, "ikesas");
    vici_bld_kv_fmt(b, "total", "%u", st.ike_sas);
    vici_bld_kv_fmt(b, "half-open", "%u", st.half_open);
    vici_bld_end(b);
    vici_bld_list(b, "plugins");
    vici_bld_list_end(b);
    return 0;
}

/* ---- list-sas ---- */

static void child_counters(struct vici_req *r, struct vici_bld *b, const struct ike_child_info *ch, uint64_t now)
{
    const struct uesp_child *u = r->s->env.esp ? uesp_find(r->s->env.esp, ch->spi_in) : NULL;
    const struct esp_counters *in = u ? &u->in.cnt : NULL, *out = u ? &u->out.cnt : NULL;
    vici_bld_kv_fmt(b, "bytes-in", "%llu", (unsigned long long)(in ? in->bytes : 0));
    vici_bld_kv_fmt(b, "packets-in", "%llu", (unsigned long long)(in ? in->packets : 0));
    if (in && in->packets && in->last_used <= now)
        vici_bld_kv_fmt(b, "use-in", "%llu", (unsigned long long)((now - in->last_used) / 1000));
    vici_bld_kv_fmt(b, "bytes-out", "%llu", (unsigned long long)(out ? out->bytes : 0));
    vici_bld_kv_fmt(b, "packets-out", "%llu", (unsigned long long)(out ? out->packets : 0));
    if (out && out->packets && out->last_used <= now)
        vici_bld_kv_fmt(b, "use-out", "%llu", (unsigned long long)((now - out->last_used) / 1000));
    if (ch->rekey_at)
        vici_bld_kv_fmt(b, "rekey-time", "%lld", (long long)((int64_t)(ch->rekey_at - now) / 1000));
    if (ch->life_at)
        vici_bld_kv_fmt(b, "life-time", "%lld", (long long)((int64_t)(ch->life_at - now) / 1000));
    vici_bld_kv_fmt(b, "install-time", "%llu", (unsigned long long)((now - ch->installed_at) / 1000));
}

/* the Child SA's uniqueid and reqid: kite has neither, its inbound SPI
 * names it uniquely */
static void child_keys(struct vici_req *r, struct vici_bld *b, const struct ike_child_info *ch, uint64_t now);

static void list_child(struct vici_req *r, struct vici_bld *b, const struct ike_child_info *ch, uint64_t now)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s-%u", ch->name, ch->spi_in);
    vici_bld_section(b, buf);
    child_keys(r, b, ch, now);
    vici_bld_end(b);
}

static void child_keys(struct vici_req *r, struct vici_bld *b, const struct ike_child_info *ch, uint64_t now)
{
    char buf[128];
    vici_bld_kv_str(b, "name", ch->name);
    vici_bld_kv_fmt(b, "uniqueid", "%u", ch->spi_in);
    vici_bld_kv_fmt(b, "reqid", "%u", ch->spi_in);
    vici_bld_kv_str(b, "state", ch->state);
    vici_bld_kv_str(b, "mode", ch->transport ? "TRANSPORT" : "TUNNEL");
    vici_bld_kv_str(b, "protocol", "ESP");
    if (ch->encap)
        vici_bld_kv_str(b, "encap", "yes");
    vici_bld_kv_fmt(b, "spi-in", "%.8x", ch->spi_in);
    vici_bld_kv_fmt(b, "spi-out", "%.8x", ch->spi_out);
    kv_alg(b, "encr-alg", XF_ENCR, ch->encr, ch->encr_bits);
    if (ch->encr_bits)
        vici_bld_kv_fmt(b, "encr-keysize", "%u", ch->encr_bits);
    kv_alg(b, "integ-alg", XF_INTEG, ch->integ, 0);
    child_counters(r, b, ch, now);
    vici_bld_list(b, "local-ts");
    vici_bld_item_str(b, ts_str(&ch->local_ts, buf, sizeof buf));
    vici_bld_list_end(b);
    vici_bld_list(b, "remote-ts");
    vici_bld_item_str(b, ts_str(&ch->remote_ts, buf, sizeof buf));
    vici_bld_list_end(b);
}

/* local-vips / remote-vips (charon's keys): only when there are any */
static void vips(struct vici_bld *b, const char *key, const struct ike_addr *a, unsigned n)
{
    char buf[64];
    if (!n)
        return;
    vici_bld_list(b, key);
    for (unsigned i = 0; i < n; i++)
        vici_bld_item_str(b, host_str(&a[i], buf, sizeof buf));
    vici_bld_list_end(b);
}

static void list_ike(struct vici_bld *b, const struct ike_sa_info *sa, uint64_t now)
{
    char buf[IKE_ID_MAX * 2 + 2];
    vici_bld_kv_fmt(b, "uniqueid", "%u", sa->id);
    vici_bld_kv_str(b, "version", "2");
    vici_bld_kv_str(b, "state", sa->state);
    vici_bld_kv_str(b, "local-host", host_str(&sa->local, buf, sizeof buf));
    vici_bld_kv_fmt(b, "local-port", "%u", sa->local.port);
    vici_bld_kv_str(b, "local-id", id_str(sa->local_id, buf, sizeof buf));
    vici_bld_kv_str(b, "remote-host", host_str(&sa->remote, buf, sizeof buf));
    vici_bld_kv_fmt(b, "remote-port", "%u", sa->remote.port);
    vici_bld_kv_str(b, "remote-id", id_str(sa->remote_id, buf, sizeof buf));
    if (sa->initiator)
        vici_bld_kv_str(b, "initiator", "yes");
    vici_bld_kv_fmt(b, "initiator-spi", "%.16llx", (unsigned long long)spi64(sa->spi_i));
    vici_bld_kv_fmt(b, "responder-spi", "%.16llx", (unsigned long long)spi64(sa->spi_r));
    if (sa->nat_local)
        vici_bld_kv_str(b, "nat-local", "yes");
    if (sa->nat_remote)
        vici_bld_kv_str(b, "nat-remote", "yes");
    if (sa->nat_fake)
        vici_bld_kv_str(b, "nat-fake", "yes");
    if (sa->nat_local || sa->nat_remote || sa->nat_fake)
        vici_bld_kv_str(b, "nat-any", "yes");
    kv_alg(b, "encr-alg", XF_ENCR, sa->encr, sa->encr_bits);
    if (sa->encr && sa->encr_bits)
        vici_bld_kv_fmt(b, "encr-keysize", "%u", sa->encr_bits);
    kv_alg(b, "integ-alg", XF_INTEG, sa->integ, 0);
    kv_alg(b, "prf-alg", XF_PRF, sa->prf, 0);
    kv_alg(b, "dh-group", XF_KE, sa->dh, 0);
    if (sa->established_at) {
        vici_bld_kv_fmt(b, "established", "%llu", (unsigned long long)((now - sa->established_at) / 1000));
        if (sa->rekey_at)
            vici_bld_kv_fmt(b, "rekey-time", "%lld", (long long)((int64_t)(sa->rekey_at - now) / 1000));
        if (sa->reauth_at) /* charon's list-sas key */
            vici_bld_kv_fmt(b, "reauth-time", "%lld", (long long)((int64_t)(sa->reauth_at - now) / 1000));
    }
    vips(b, "local-vips", sa->local_vips, sa->n_local_vips);
    vips(b, "remote-vips", sa->remote_vips, sa->n_remote_vips);
}

static bool sa_wanted(struct vici_req *r, const struct ike_sa_info *sa)
{
    char ike[IKE_NAME_MAX];
    long id = arg_int(r, "ike-id", 0);
    return (!arg_str(r, "ike", ike, sizeof ike) || !strcmp(ike, sa->conn)) && (!id || (uint32_t)id == sa->id);
}

/* the IKE SA in slot i as list-sa shows it; r (may be NULL) filters its
 * Child SAs by child / child-id */
static void ike_tree(struct vici_srv *s, struct vici_req *r, struct vici_bld *b, unsigned i,
                     const struct ike_sa_info *sa)
{
    struct vici_req all = { s, NULL, NULL, span_of(NULL, 0), b, false };
    struct ike_child_info ch;
    char child[IKE_NAME_MAX];
    uint64_t now = loop_now_ms();
    r = r ? r : &all;
    bool by_child = arg_str(r, "child", child, sizeof child);
    long child_id = arg_int(r, "child-id", 0);
    vici_bld_section(b, sa->conn);
    list_ike(b, sa, now);
    vici_bld_section(b, "child-sas");
    for (unsigned k = 0; ike_sa_child_info(s->env.ike, i, k, &ch); k++)
        if ((!by_child || !strcmp(child, ch.name)) && (!child_id || (uint32_t)child_id == ch.spi_in))
            list_child(r, b, &ch, now);
    vici_bld_end(b);
    vici_bld_end(b);
}

bool vici_cmd_ike_tree(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id)
{
    struct ike_sa_info sa;
    for (unsigned i = 0; i < ike_sa_slots(s->env.ike); i++)
        if (ike_sa_info(s->env.ike, i, &sa) && sa.id == ike_id) {
            ike_tree(s, NULL, b, i, &sa);
            return true;
        }
    return false;
}

bool vici_cmd_ike_keys(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id)
{
    struct ike_sa_info sa;
    for (unsigned i = 0; i < ike_sa_slots(s->env.ike); i++)
        if (ike_sa_info(s->env.ike, i, &sa) && sa.id == ike_id) {
            list_ike(b, &sa, loop_now_ms());
            return true;
        }
    return false;
}

bool vici_cmd_child_keys(struct vici_srv *s, struct vici_bld *b, uint32_t ike_id, uint32_t spi_in)
{
    struct vici_req all = { s, NULL, NULL, span_of(NULL, 0), b, false };
    struct ike_sa_info sa;
    struct ike_child_info ch;
    for (unsigned i = 0; i < ike_sa_slots(s->env.ike); i++) {
        if (!ike_sa_info(s->env.ike, i, &sa) || sa.id != ike_id)
            continue;
        for (unsigned k = 0; ike_sa_child_info(s->env.ike, i, k, &ch); k++)
            if (ch.spi_in == spi_in) {
                child_keys(&all, b, &ch, loop_now_ms());
                return true;
            }
    }
    return false;
}

/* one list-sa event per IKE SA, then an empty response */
static int cmd_list_sas(struct vici_req *r)
{
    struct ike_engine *e = r->s->env.ike;
    for (unsigned i = 0; i < ike_sa_slots(e); i++) {
        struct ike_sa_info sa;
        if (!ike_sa_info(e, i, &sa) || !sa_wanted(r, &sa))
            continue;
        vici_bld_packet(&r->s->ev, VICI_EVENT, "list-sa");
        ike_tree(r->s, r, &r->s->ev, i, &sa);
        vici_event_send(r->s, r->c, VICI_EV_LIST_SA);
    }
    return 0;
}

/* ---- list-conns, get-conns ---- */

static void list_auth(struct vici_bld *b, const char *name, const struct ike_id_cfg *id, const struct ike_auth_cfg *a)
{
    char buf[IKE_ID_MAX * 2 + 2];
    vici_bld_section(b, name);
    vici_bld_kv_str(b, "class", a->kind == IKE_AUTHK_PUBKEY ? "public key" : "pre-shared key");
    if (id->type)
        vici_bld_kv_str(b, "id", id_str(id, buf, sizeof buf));
    vici_bld_end(b);
}

static void list_children(struct vici_bld *b, const struct ike_conn_cfg *c)
{
    char buf[128];
    vici_bld_section(b, "children");
    for (uint32_t i = 0; i < c->n_children; i++) {
        const struct ike_child_cfg *ch = &c->child[i];
        vici_bld_section(b, ch->name);
        vici_bld_kv_str(b, "mode", ch->transport ? "TRANSPORT" : "TUNNEL");
        vici_bld_kv_fmt(b, "rekey_time", "%u", ch->rekey_time_s);
        vici_bld_kv_fmt(b, "rekey_bytes", "%llu", (unsigned long long)ch->rekey_bytes);
        vici_bld_kv_fmt(b, "rekey_packets", "%llu", (unsigned long long)ch->rekey_packets);
        vici_bld_kv_str(b, "dpd_action", c->dpd_restart ? "restart" : "clear");
        vici_bld_kv_str(b, "close_action", "clear");
        vici_bld_list(b, "local-ts");
        for (int t = 0; t < ch->n_local_ts; t++)
            vici_bld_item_str(b, ts_str(&ch->local_ts[t], buf, sizeof buf));
        vici_bld_list_end(b);
        vici_bld_list(b, "remote-ts");
        for (int t = 0; t < ch->n_remote_ts; t++)
            vici_bld_item_str(b, ts_str(&ch->remote_ts[t], buf, sizeof buf));
        vici_bld_list_end(b);
        vici_bld_end(b);
    }
    vici_bld_end(b);
}

static void list_conn(struct vici_bld *b, const struct ike_conn_cfg *c)
{
    char buf[64];
    vici_bld_section(b, c->name);
    vici_bld_list(b, "local_addrs");
    vici_bld_item_str(b, host_str(&c->local, buf, sizeof buf));
    vici_bld_list_end(b);
    vici_bld_list(b, "remote_addrs");
    vici_bld_item_str(b, host_str(&c->remote, buf, sizeof buf));
    vici_bld_list_end(b);
    vici_bld_kv_str(b, "version", "IKEv2");
    static const char *const unique[] = { "UNIQUE_NO", "UNIQUE_NEVER", "UNIQUE_KEEP", "UNIQUE_REPLACE" };
    vici_bld_kv_fmt(b, "reauth_time", "%u", c->reauth_time_s);
    vici_bld_kv_fmt(b, "rekey_time", "%u", c->rekey_time_s);
    vici_bld_kv_str(b, "unique", unique[c->unique <= IKE_UNIQUE_REPLACE ? c->unique : 0]);
    if (c->dpd_delay_ms)
        vici_bld_kv_fmt(b, "dpd_delay", "%u", c->dpd_delay_ms / 1000);
    list_auth(b, "local-1", &c->local_id, &c->local_auth);
    list_auth(b, "remote-1", &c->remote_id, &c->remote_auth);
    list_children(b, c);
    vici_bld_end(b);
}

static int cmd_list_conns(struct vici_req *r)
{
    char ike[IKE_NAME_MAX];
    bool by_name = arg_str(r, "ike", ike, sizeof ike);
    const struct ike_conn_cfg *c;
    for (int i = 0; (c = ike_engine_conn(r->s->env.ike, i)) != NULL; i++) {
        if (by_name && strcmp(ike, c->name))
            continue;
        vici_bld_packet(&r->s->ev, VICI_EVENT, "list-conn");
        list_conn(&r->s->ev, c);
        vici_event_send(r->s, r->c, VICI_EV_LIST_CONN);
    }
    return 0;
}

static int cmd_get_conns(struct vici_req *r)
{
    const struct ike_conn_cfg *c;
    vici_bld_list(r->b, "conns");
    for (int i = 0; (c = ike_engine_conn(r->s->env.ike, i)) != NULL; i++)
        vici_bld_item_str(r->b, c->name);
    vici_bld_list_end(r->b);
    return 0;
}

/* ---- initiate, terminate, rekey ---- */

/* the connection holding child (or named ike); NULL if none */
static const struct ike_conn_cfg *conn_for(struct ike_engine *e, const char *ike, const char *child)
{
    const struct ike_conn_cfg *c;
    for (int i = 0; (c = ike_engine_conn(e, i)) != NULL; i++) {
        if (ike[0] && strcmp(ike, c->name))
            continue;
        for (uint32_t k = 0; child[0] && k < c->n_children; k++)
            if (!strcmp(c->child[k].name, child))
                return c;
        if (!child[0])
            return c;
    }
    return NULL;
}

static bool child_up(struct ike_engine *e, const char *conn, const char *child)
{
    for (unsigned i = 0; i < ike_sa_slots(e); i++) {
        struct ike_sa_info sa;
        struct ike_child_info ch;
        if (!ike_sa_info(e, i, &sa) || strcmp(sa.conn, conn))
            continue;
        for (unsigned k = 0; ike_sa_child_info(e, i, k, &ch); k++)
            if (!strcmp(ch.name, child) && !strcmp(ch.state, "INSTALLED"))
                return true;
    }
    return false;
}

static int cmd_initiate(struct vici_req *r)
{
    char ike[IKE_NAME_MAX] = "", child[IKE_NAME_MAX] = "";
    struct ike_engine *e = r->s->env.ike;
    arg_str(r, "ike", ike, sizeof ike);
    arg_str(r, "child", child, sizeof child);
    if (!ike[0] && !child[0]) {
        fail(r, "missing configuration name%s", "");
        return 0;
    }
    const struct ike_conn_cfg *c = conn_for(e, ike, child);
    if (!c || (!child[0] && !c->n_children)) {
        fail(r, "CHILD_SA config '%s' not found", child[0] ? child : ike);
        return 0;
    }
    const char *cname = child[0] ? child : c->child[0].name;
    if (child_up(e, c->name, cname)) { /* already up */
        vici_bld_kv_str(r->b, "success", "yes");
        return 0;
    }
    struct vici_pending *p = &r->vc->pending;
    memcpy(p->conn, c->name, sizeof p->conn);
    snprintf(p->child, sizeof p->child, "%s", cname);
    long timeout = arg_int(r, "timeout", 0);
    p->deadline = timeout > 0 ? loop_now_ms() + (uint64_t)timeout : UINT64_MAX;
    p->loglevel = (int)arg_int(r, "loglevel", 1);
    p->active = true;
    r->defer = true;
    if (r->s->env.log && p->loglevel > r->s->env.log->tap_level)
        r->s->env.log->tap_level = p->loglevel;
    int rc = ike_initiate(e, c->name, cname, loop_now_ms());
    if (rc) {
        char msg[160];
        snprintf(msg, sizeof msg, "initiating '%s' failed: %s", cname, kite_strerror(rc));
        vici_pending_answer(r->s, r->c, msg);
        return 0;
    }
    r->s->env.drain(r->s->env.ctx);
    return 0;
}

static void done(struct vici_req *r, int matches, int acted, const char *verb)
{
    char msg[64];
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", matches ? "yes" : "no");
    vici_bld_kv_fmt(r->b, "matches", "%d", matches);
    vici_bld_kv_fmt(r->b, verb, "%d", acted);
    if (!matches) {
        snprintf(msg, sizeof msg, "no matching SAs to %s found", !strcmp(verb, "terminated") ? "terminate" : "rekey");
        vici_bld_kv_str(r->b, "errmsg", msg);
    }
}

/* does Child SA ch of IKE SA sa match the request's ike, ike-id, child, child-id? */
static bool child_wanted(struct vici_req *r, const struct ike_sa_info *sa, const struct ike_child_info *ch)
{
    char child[IKE_NAME_MAX];
    long child_id = arg_int(r, "child-id", 0);
    return sa_wanted(r, sa) && (!arg_str(r, "child", child, sizeof child) || !strcmp(child, ch->name)) &&
           (!child_id || (uint32_t)child_id == ch->spi_in) && !strcmp(ch->state, "INSTALLED");
}

/* the next installed Child SA the request names, by its inbound SPI; 0: none left */
static uint32_t next_child(struct vici_req *r, uint32_t after)
{
    struct ike_engine *e = r->s->env.ike;
    uint32_t best = 0;
    for (unsigned i = 0; i < ike_sa_slots(e); i++) {
        struct ike_sa_info sa;
        struct ike_child_info ch;
        if (!ike_sa_info(e, i, &sa))
            continue;
        for (unsigned k = 0; ike_sa_child_info(e, i, k, &ch); k++)
            if (ch.spi_in > after && (!best || ch.spi_in < best) && child_wanted(r, &sa, &ch))
                best = ch.spi_in;
    }
    return best;
}

/* the named Child SAs in the order of their SPIs (acting on one changes the
 * table, so each is looked up afresh); hard: delete (terminate), else rekey */
static void child_op(struct vici_req *r, bool hard, const char *verb)
{
    int matches = 0, acted = 0;
    for (uint32_t spi = next_child(r, 0); spi; spi = next_child(r, spi), matches++)
        acted += ike_child_expired(r->s->env.ike, spi, hard, loop_now_ms()) == 0;
    r->s->env.drain(r->s->env.ctx);
    done(r, matches, acted, verb);
}

/* the next IKE SA the request names, by unique id; 0: none left */
static uint32_t next_ike(struct vici_req *r, uint32_t after)
{
    struct ike_engine *e = r->s->env.ike;
    uint32_t best = 0;
    for (unsigned i = 0; i < ike_sa_slots(e); i++) {
        struct ike_sa_info sa;
        if (ike_sa_info(e, i, &sa) && sa.id > after && (!best || sa.id < best) && sa_wanted(r, &sa))
            best = sa.id;
    }
    return best;
}

static int cmd_terminate(struct vici_req *r)
{
    char ike[IKE_NAME_MAX] = "", child[IKE_NAME_MAX] = "";
    arg_str(r, "ike", ike, sizeof ike);
    arg_str(r, "child", child, sizeof child);
    if (child[0] || arg_int(r, "child-id", 0)) {
        child_op(r, true, "terminated");
        return 0;
    }
    if (!ike[0] && !arg_int(r, "ike-id", 0)) {
        fail(r, "missing terminate selector%s", "");
        return 0;
    }
    int matches = 0, acted = 0;
    for (uint32_t id = next_ike(r, 0); id; id = next_ike(r, id), matches++)
        acted += ike_sa_terminate(r->s->env.ike, id, loop_now_ms()) == 0;
    r->s->env.drain(r->s->env.ctx);
    done(r, matches, acted, "terminated");
    return 0;
}

/* charon's boolean spellings (settings_value_as_bool) */
static bool arg_true(struct vici_req *r, const char *key)
{
    char v[16];
    return arg_str(r, key, v, sizeof v) &&
           (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "enabled") || !strcmp(v, "1"));
}

/* rekey ike / ike-id (charon 5.9.8): matches counts the IKE SAs rekeyed,
 * now or once the exchange under way ends; one that cannot be (not
 * established, rekeyed already) is named in errmsg when none could */
static void ike_rekey(struct vici_req *r, bool reauth)
{
    struct ike_engine *e = r->s->env.ike;
    int named = 0, matches = 0;
    uint32_t refused = 0;
    for (uint32_t id = next_ike(r, 0); id; id = next_ike(r, id), named++) {
        /* reauth: a new IKE SA made before the old one goes (RFC 7296 2.8.3, ike/lifecycle.c) */
        int rc = reauth ? ike_sa_reauth(e, id, loop_now_ms()) : ike_sa_rekey(e, id, loop_now_ms());
        matches += rc >= 0;
        if (rc < 0 && !refused)
            refused = id;
    }
    r->s->env.drain(r->s->env.ctx);
    if (!named || matches) {
        done(r, matches, matches, "rekeyed");
        return;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "IKE_SA with unique id %u", refused);
    fail(r, "%s is not established or is being rekeyed or reauthenticated already", msg);
}

static int cmd_rekey(struct vici_req *r)
{
    char child[IKE_NAME_MAX], ike[IKE_NAME_MAX];
    if (arg_str(r, "child", child, sizeof child) || arg_int(r, "child-id", 0)) {
        child_op(r, false, "rekeyed");
        return 0;
    }
    if (!arg_str(r, "ike", ike, sizeof ike) && !arg_int(r, "ike-id", 0))
        fail(r, "missing rekey selector%s", "");
    else
        ike_rekey(r, arg_true(r, "reauth"));
    return 0;
}

/* get-algorithms: what the transform registry knows, by charon's section
 * names; the value is the "plugin" that provides it (OpenSSL for all) */
static void algs_of(struct vici_bld *b, const char *section, enum xf_type t, int aead)
{
    const char *seen[64];
    size_t n = 0;
    vici_bld_section(b, section);
    for (size_t i = 0; xf_at(i); i++) {
        const struct xf_info *x = xf_at(i);
        if (x->type != t || (aead >= 0 && x->aead != aead))
            continue;
        const char *name = alg_name(t, x->id, x->key_bits);
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = !strcmp(seen[k], name);
        if (dup)
            continue;
        if (n < sizeof seen / sizeof seen[0])
            seen[n++] = name;
        vici_bld_kv_str(b, name, "openssl");
    }
    vici_bld_end(b);
}

static int cmd_get_algorithms(struct vici_req *r)
{
    algs_of(r->b, "encryption", XF_ENCR, 0);
    algs_of(r->b, "integrity", XF_INTEG, -1);
    algs_of(r->b, "aead", XF_ENCR, 1);
    algs_of(r->b, "prf", XF_PRF, -1);
    algs_of(r->b, "dh", XF_KE, -1);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct vici_req *r);
} cmds[] = {
    { "get-algorithms", cmd_get_algorithms },
    { "version", cmd_version },       { "stats", cmd_stats },         { "list-sas", cmd_list_sas },
    { "list-conns", cmd_list_conns }, { "get-conns", cmd_get_conns }, { "initiate", cmd_initiate },
    { "terminate", cmd_terminate },   { "rekey", cmd_rekey },
};

int vici_cmd_run(struct vici_req *r, const char *name)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmds[i].name, name))
            return cmds[i].fn(r);
    int rc = vici_cred_run(r, name);
    if (rc == KITE_E_NOT_FOUND)
        rc = vici_misc_run(r, name);
    if (rc == KITE_E_NOT_FOUND)
        rc = vici_counters_run(r, name);
    return rc == KITE_E_NOT_FOUND ? vici_conn_run(r, name) : rc;
}
