/* checkconf: kited --check-config FILE.  The file is read as kited reads it
 * at start (conf/, the credentials beside it, each connection made into the
 * engine's record by bridge_conn), and each connection is printed as kite
 * understood it, one line each.  Nothing else happens: no socket, no TUN,
 * no route, no run directory, no log file. */
#include "daemon/checkconf.h"
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/conf_keys.h"
#include "conf/settings.h"
#include "cred/id.h"
#include "crypto/registry.h"
#include "daemon/bridge.h"
#include "daemon/creds.h"

struct out {
    char *p;
    size_t cap, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->n + 1 >= o->cap)
        return;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->n = o->n + (size_t)k < o->cap ? o->n + (size_t)k : o->cap - 1;
}

static void addr(struct out *o, const struct conf_addr *a)
{
    char b[INET6_ADDRSTRLEN];
    if (!a->family)
        put(o, "%%any");
    else
        put(o, "%s", inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, b, sizeof b) ? b : "?");
}

static void id(struct out *o, const struct conf_id *i)
{
    char b[512];
    cred_id_format(i->type, span_of(i->data, i->len), b, sizeof b);
    put(o, "%s", i->type ? b : "%any");
}

static void auth(struct out *o, const struct conf_auth *a)
{
    static const char *const keys[] = { "pubkey", "rsa", "ecdsa", "ed25519", "ed448" };
    static const char *const hashes[] = { "", "sha1", "sha256", "sha384", "sha512", "identity" };
    if (a->kind == CONF_AUTH_PSK) {
        put(o, "psk");
        return;
    }
    put(o, "%s%s", a->key < 5 ? keys[a->key] : "?", a->pss ? "/pss" : "");
    for (int h = 1; h < 6; h++)
        if (a->hashes & (1u << h))
            put(o, "-%s", hashes[h]);
}

static void props(struct out *o, const struct conf_prop *p, uint8_t n)
{
    for (uint8_t i = 0; i < n; i++) {
        put(o, "%s", i ? "," : "");
        for (uint8_t j = 0; j < p[i].n; j++) {
            const struct xf_info *x = xf_lookup(p[i].xf[j].type, p[i].xf[j].id, p[i].xf[j].key_bits);
            if (x)
                put(o, "%s%s", j ? "-" : "", x->keyword ? x->keyword : x->name);
            else
                put(o, "%s%s#%u", j ? "-" : "", xf_type_name(p[i].xf[j].type), p[i].xf[j].id);
        }
    }
}

/* a selector as a prefix when it is one, else a range; [proto/ports] */
static void ts(struct out *o, const struct conf_ts *t)
{
    size_t len = t->family == 6 ? 16 : 4;
    int plen = 0;
    while (plen < (int)len * 8 && !((t->lo[plen / 8] ^ t->hi[plen / 8]) & (0x80 >> (plen % 8))))
        plen++;
    bool prefix = true;
    for (int b = plen; b < (int)len * 8; b++)
        prefix = prefix && !(t->lo[b / 8] & (0x80 >> (b % 8))) && (t->hi[b / 8] & (0x80 >> (b % 8)));
    char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
    int af = t->family == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, t->lo, lo, sizeof lo);
    inet_ntop(af, t->hi, hi, sizeof hi);
    if (prefix)
        put(o, "%s/%d", lo, plen);
    else
        put(o, "%s-%s", lo, hi);
    if (t->ip_proto || t->port_lo || t->port_hi != 0xffff) {
        put(o, "[%u", t->ip_proto);
        if (t->port_lo || t->port_hi != 0xffff)
            put(o, t->port_lo == t->port_hi ? "/%u" : "/%u-%u", t->port_lo, t->port_hi);
        put(o, "]");
    }
}

static void tss(struct out *o, const struct conf_ts *t, uint8_t n)
{
    for (uint8_t i = 0; i < n; i++) {
        put(o, "%s", i ? "," : "");
        ts(o, &t[i]);
    }
}

static void child(struct out *o, const struct conf_child *ch)
{
    static const char *const start[] = { "none", "start", "trap" };
    put(o, "; child %s: %s ", ch->name, ch->transport ? "transport" : "tunnel");
    tss(o, ch->local_ts, ch->n_local_ts);
    put(o, " === ");
    tss(o, ch->remote_ts, ch->n_remote_ts);
    put(o, ", esp ");
    props(o, ch->esp, ch->n_esp);
    put(o, ", rekey %us, start %s", ch->rekey_time, start[ch->start_action]);
}

void checkconf_conn_line(const struct conf_conn *k, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    buf[0] = 0;
    put(&o, "%s: IKEv2, local ", k->name);
    if (k->local_host[0])
        put(&o, "%s", k->local_host);
    else
        addr(&o, &k->local);
    put(&o, "[%u] id ", k->local_port);
    id(&o, &k->local_id);
    put(&o, " auth ");
    auth(&o, &k->local_auth);
    put(&o, ", remote ");
    if (k->remote_host[0])
        put(&o, "%s", k->remote_host);
    else
        addr(&o, &k->remote);
    put(&o, "[%u]", k->remote_port);
    for (uint8_t i = 0; i < k->n_remote_ranges; i++) { /* whom a responder takes */
        struct conf_ts r = { .family = k->remote_ranges[i].family, .port_hi = 0xffff };
        memcpy(r.lo, k->remote_ranges[i].lo, 16);
        memcpy(r.hi, k->remote_ranges[i].hi, 16);
        put(&o, "%s", i ? "," : " accepting ");
        ts(&o, &r);
    }
    put(&o, " id ");
    id(&o, &k->remote_id);
    put(&o, " auth ");
    auth(&o, &k->remote_auth);
    put(&o, ", ike ");
    props(&o, k->ike, k->n_ike);
    put(&o, ", rekey %us", k->rekey_time);
    for (uint32_t i = 0; i < k->n_children; i++)
        child(&o, &k->child[i]);
}

static void on_warn(void *ctx, const char *msg)
{
    fprintf(ctx, "kited: warning: %s\n", msg);
}

struct also {
    FILE *err;
    const char *first;
};

static void on_also(void *ctx, const char *msg)
{
    struct also *a = ctx;
    if (strcmp(msg, a->first))
        fprintf(a->err, "kited: also refused: %s\n", msg);
}

/* after the first error, every other refused key of the file (conf_keys):
 * one run tells a user everything the file asks that kite does not do */
static void list_refusals(const char *path, const char *first, FILE *err)
{
    struct set_tree t;
    char e[512];
    struct also a = { err, first };
    if (!set_parse_file(&t, path, e, sizeof e))
        conf_keys_scan(&t.root, on_also, &a);
    set_free(&t);
}

static int conns(const char *path, const struct kite_conf *c, FILE *out, FILE *err)
{
    struct cred_store *creds = NULL;
    char e[512];
    if (creds_load(path, c, &creds, e, sizeof e, on_warn, err)) {
        fprintf(err, "kited: error: %s\n", e);
        return 1;
    }
    int rc = 0;
    struct ike_conn_cfg *cfg = malloc(sizeof *cfg);
    char *line = malloc(8192);
    for (int i = 0; cfg && line && i < c->n_conns; i++) {
        int b = bridge_conn(c, i, creds, 500, 4500, cfg, e, sizeof e);
        if (b < 0) {
            fprintf(err, "kited: error: connection '%s': %s\n", c->conns[i].name, e);
            rc = 1;
            continue;
        }
        if (b > 0)
            fprintf(err, "kited: warning: connection '%s': %s\n", c->conns[i].name, e);
        ike_conn_cfg_free(cfg); /* only its checking was wanted */
        checkconf_conn_line(&c->conns[i], line, 8192);
        fprintf(out, "%s\n", line);
    }
    if (!cfg || !line) {
        fprintf(err, "kited: error: out of memory\n");
        rc = 1;
    }
    if (cfg)
        memset(cfg, 0, sizeof *cfg); /* it held a PSK */
    free(cfg);
    free(line);
    cred_store_unref(creds);
    return rc;
}

int checkconf_run(const char *path, FILE *out, FILE *err)
{
    struct kite_conf *c = NULL;
    char e[512];
    if (conf_load_file(path, &c, e, sizeof e, on_warn, err)) {
        fprintf(err, "kited: error: %s\n", e);
        list_refusals(path, e, err);
        return 1;
    }
    int rc = conns(path, c, out, err);
    if (!rc)
        fprintf(out, "%s: %d connection(s), %d secret(s): OK\n", path, c->n_conns, c->n_secrets);
    conf_free(c);
    return rc;
}
