/* metrics: the Prometheus page (see metrics.h).  Names are kite_*, with the
 * unit in the name (_bytes, _total for counters).  Per Child SA series carry
 * the inbound SPI besides connection, child and direction: two SAs of one
 * child live side by side during a rekey, and each series stays monotonic
 * until its SA goes. */
#include "ctl/metrics.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "ctl/vici.h"
#include "ike/ike.h"
#include "io/httpd.h"
#include "io/unix.h"
#include "sa/uesp.h"

struct metrics_srv {
    struct httpd *h;
    struct metrics_env env;
    struct prom page; /* the last page, kept for its buffer */
};

static void one(struct prom *p, const char *name, const char *type, const char *help, uint64_t v)
{
    prom_family(p, name, type, help);
    prom_sample(p, name, NULL, v);
}

static void ike_sas(struct prom *p, const struct ike_engine *e)
{
    static const char *const states[] = { "CONNECTING", "ESTABLISHED", "REKEYED" };
    uint64_t n[3] = { 0 }, children = 0;
    for (unsigned i = 0; i < ike_sa_slots(e); i++) {
        struct ike_sa_info sa;
        struct ike_child_info ch;
        if (!ike_sa_info(e, i, &sa))
            continue;
        for (int s = 0; s < 3; s++)
            n[s] += !strcmp(sa.state, states[s]);
        for (unsigned k = 0; ike_sa_child_info(e, i, k, &ch); k++)
            children++;
    }
    prom_family(p, "kite_ike_sas", "gauge", "IKE SAs by state (CONNECTING: before IKE_AUTH completes)");
    for (int s = 0; s < 3; s++)
        prom_sample(p, "kite_ike_sas", (const char *const[]){ "state", states[s], NULL }, n[s]);
    struct ike_stats st;
    ike_engine_stats(e, &st);
    one(p, "kite_ike_sas_half_open", "gauge", "responder IKE SAs waiting for IKE_AUTH", st.half_open);
    one(p, "kite_child_sas", "gauge", "Child SAs of the IKE SAs, rekeyed ones in their grace time included",
        children);
    one(p, "kite_ike_datagrams_dropped_total", "counter",
        "IKE datagrams dropped: malformed, unknown SPIs, unexpected", st.dropped);
    one(p, "kite_ike_cookies_sent_total", "counter", "IKE_SA_INIT requests answered with a COOKIE",
        st.cookies_sent);
}

static void handshakes(struct prom *p, const struct ike_counters *k)
{
    one(p, "kite_ike_handshakes_started_total", "counter",
        "IKE SAs begun with IKE_SA_INIT, as initiator or responder", k->c[IKE_CTR_HS_STARTED]);
    one(p, "kite_ike_handshakes_established_total", "counter",
        "handshakes that established the IKE SA (the initiator: with its first Child SA)",
        k->c[IKE_CTR_HS_ESTABLISHED]);
    prom_family(p, "kite_ike_handshakes_failed_total", "counter", "handshakes that failed, by reason");
    for (unsigned c = IKE_CTR_HS_FAIL_NO_PROPOSAL; c <= IKE_CTR_HS_FAIL_OTHER; c++)
        prom_sample(p, "kite_ike_handshakes_failed_total",
                    (const char *const[]){ "reason", ike_ctr_fail_reason(c), NULL }, k->c[c]);
    one(p, "kite_ike_retransmissions_total", "counter", "IKE requests sent again for want of an answer",
        k->c[IKE_CTR_RETRANSMITS]);
    one(p, "kite_ike_liveness_checks_total", "counter", "liveness checks (DPD) sent: empty INFORMATIONAL requests",
        k->c[IKE_CTR_LIVENESS]);
    prom_family(p, "kite_ike_rekeys_total", "counter", "IKE SAs rekeyed, by who initiated the rekey");
    prom_sample(p, "kite_ike_rekeys_total", (const char *const[]){ "role", "initiator", NULL },
                k->c[IKE_CTR_IKE_REKEY_INIT]);
    prom_sample(p, "kite_ike_rekeys_total", (const char *const[]){ "role", "responder", NULL },
                k->c[IKE_CTR_IKE_REKEY_RESP]);
    one(p, "kite_child_rekeys_total", "counter", "Child SAs rekeyed", k->c[IKE_CTR_CHILD_REKEY]);
}

/* the message counters of charon's counters plugin, by exchange, direction and kind */
static void messages(struct prom *p, const struct ike_counters *k)
{
    static const char *const exch[] = { "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL" };
    prom_family(p, "kite_ike_messages_total", "counter",
                "IKE messages built or received (decrypted), retransmissions not counted");
    for (unsigned i = 0; i < 16; i++)
        prom_sample(p, "kite_ike_messages_total",
                    (const char *const[]){ "exchange", exch[i / 4], "direction", i % 4 < 2 ? "in" : "out",
                                           "kind", i % 2 ? "response" : "request", NULL },
                    k->c[IKE_CTR_INIT_IN_REQ + i]);
    prom_family(p, "kite_ike_messages_invalid_total", "counter",
                "IKE messages refused: malformed or failing decryption (invalid), no IKE SA (invalid_spi)");
    prom_sample(p, "kite_ike_messages_invalid_total", (const char *const[]){ "reason", "invalid", NULL },
                k->c[IKE_CTR_INVALID]);
    prom_sample(p, "kite_ike_messages_invalid_total", (const char *const[]){ "reason", "invalid_spi", NULL },
                k->c[IKE_CTR_INVALID_SPI]);
}

static void child_series(struct prom *p, const char *name, const struct uesp *u, int what)
{
    for (unsigned i = 0; i < u->n_slots; i++) {
        const struct uesp_child *c = u->child[i];
        char spi[16];
        if (!c || !c->used)
            continue;
        snprintf(spi, sizeof spi, "%08x", c->in.spi);
        for (int d = 0; d < 2; d++) {
            const struct esp_counters *k = d ? &c->out.cnt : &c->in.cnt;
            uint64_t v = what == 0 ? k->bytes : what == 1 ? k->packets
                       : k->replay_drops + k->icv_failures + k->malformed + k->policy_drops + k->other_drops;
            prom_sample(p, name,
                        (const char *const[]){ "connection", c->conn, "child", c->name, "spi", spi, "direction",
                                               d ? "out" : "in", NULL },
                        v);
        }
    }
}

static void dataplane(struct prom *p, const struct uesp *u)
{
    prom_family(p, "kite_child_sa_bytes_total", "counter", "inner bytes of good packets per Child SA");
    child_series(p, "kite_child_sa_bytes_total", u, 0);
    prom_family(p, "kite_child_sa_packets_total", "counter", "good packets per Child SA");
    child_series(p, "kite_child_sa_packets_total", u, 1);
    prom_family(p, "kite_child_sa_drops_total", "counter",
                "packets a Child SA dropped: replay, integrity, malformed, outside the selectors, other");
    child_series(p, "kite_child_sa_drops_total", u, 2);
    static const char *const why[] = { "no_policy", "no_sa", "unknown_spi", "malformed", "encap_error" };
    const uint64_t v[] = { u->cnt.no_policy, u->cnt.no_sa, u->cnt.unknown_spi, u->cnt.malformed,
                           u->cnt.encap_errors };
    prom_family(p, "kite_dataplane_drops_total", "counter", "packets the data plane dropped before an SA took them");
    for (int i = 0; i < 5; i++)
        prom_sample(p, "kite_dataplane_drops_total", (const char *const[]){ "reason", why[i], NULL }, v[i]);
}

static void clients(struct prom *p, const struct vici_srv *v, const struct metrics_srv *self)
{
    if (v) {
        struct unix_srv_stats st;
        vici_srv_get_stats(v, &st);
        one(p, "kite_vici_clients", "gauge", "clients connected to the VICI control socket", st.clients);
        one(p, "kite_vici_clients_accepted_total", "counter", "VICI clients accepted", st.accepted);
        prom_family(p, "kite_vici_clients_closed_total", "counter", "VICI clients closed by kited, by reason");
        const char *const why[] = { "refused", "oversized", "slow", "rejected" };
        const uint64_t n[] = { st.refused, st.oversized, st.slow, st.rejected };
        for (int i = 0; i < 4; i++)
            prom_sample(p, "kite_vici_clients_closed_total", (const char *const[]){ "reason", why[i], NULL }, n[i]);
    }
    if (self) {
        struct httpd_stats st;
        httpd_get_stats(self->h, &st);
        one(p, "kite_metrics_scrapes_total", "counter", "metrics pages served", st.served);
        prom_family(p, "kite_metrics_clients_closed_total", "counter",
                    "metrics clients closed by kited: bad requests, timeouts, evicted for a newcomer");
        prom_sample(p, "kite_metrics_clients_closed_total", (const char *const[]){ "reason", "bad_request", NULL },
                    st.bad);
        prom_sample(p, "kite_metrics_clients_closed_total", (const char *const[]){ "reason", "timeout", NULL },
                    st.timeouts);
        prom_sample(p, "kite_metrics_clients_closed_total", (const char *const[]){ "reason", "evicted", NULL },
                    st.evicted);
    }
}

int metrics_render(const struct metrics_env *env, const struct metrics_srv *self, struct prom *out)
{
    struct ike_counters k;
    ike_engine_counters(env->ike, NULL, &k);
    ike_sas(out, env->ike);
    handshakes(out, &k);
    messages(out, &k);
    if (env->esp)
        dataplane(out, env->esp);
    for (unsigned i = 0; i < env->n_extra; i++)
        one(out, env->extra[i].name, "counter", env->extra[i].help, *env->extra[i].value);
    clients(out, env->vici, self);
    return out->err;
}

static void on_request(void *ctx, const char *method, const char *path, struct httpd_reply *r)
{
    struct metrics_srv *m = ctx;
    (void)method;
    if (strcmp(path, "/metrics"))
        return; /* 404 */
    prom_free(&m->page);
    if (metrics_render(&m->env, m, &m->page)) {
        r->status = 500;
        r->body = "out of memory\n";
        r->len = 14;
        return;
    }
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->body = m->page.buf;
    r->len = m->page.len;
}

int metrics_open(struct metrics_srv **out, const char *addr, const struct metrics_cfg *cfg,
                 const struct metrics_env *env, char *err, size_t cap)
{
    struct metrics_srv *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return -ENOMEM;
    m->env = *env;
    prom_init(&m->page);
    struct httpd_cfg hc = { cfg->max_clients ? cfg->max_clients : 16, 8192,
                            cfg->timeout_ms ? cfg->timeout_ms : 10000, 64 };
    int rc = httpd_open(&m->h, addr, &hc, on_request, m);
    if (rc) {
        snprintf(err, cap, "--metrics %s: %s", addr, rc == -EINVAL ? "not ADDR:PORT or [ADDR6]:PORT" : strerror(-rc));
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int metrics_fd(const struct metrics_srv *m)
{
    return httpd_fd(m->h);
}

void metrics_run(struct metrics_srv *m, uint64_t now)
{
    httpd_run(m->h, now);
}

uint64_t metrics_tick(struct metrics_srv *m, uint64_t now)
{
    return httpd_tick(m->h, now);
}

void metrics_close(struct metrics_srv *m)
{
    if (!m)
        return;
    httpd_close(m->h);
    prom_free(&m->page);
    free(m);
}
