/* vici_cred: credentials over the control socket, with charon 5.9.8's
 * request and response keys (strongSwan's vici README, read to learn them):
 * load-cert, load-key, unload-key, get-keys, clear-creds, list-certs, and
 * the certification authority commands, which kite has no notion of.
 *
 * What arrives is kept in a set of its own (s->creds); each change makes
 * the daemon swap a new snapshot, its files' credentials and this set, into
 * the engine (env.creds_changed).  Authentications already under way keep
 * the snapshot they started with (cred/store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/x509.h>
#include "base/err.h"
#include "base/log.h"
#include "cred/id.h"
#include "cred/store.h"
#include "ctl/vici_int.h"

const struct cred_store *vici_srv_creds(const struct vici_srv *s)
{
    return s->creds;
}

static void reply(struct vici_req *r, const char *errmsg)
{
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", errmsg ? "no" : "yes");
    if (errmsg)
        vici_bld_kv_str(r->b, "errmsg", errmsg);
}

/* the set changed: the engine gets it (its failure is the command's) */
static const char *apply(struct vici_srv *s)
{
    if (!s->env.creds_changed || !s->env.creds_changed(s->env.ctx))
        return NULL;
    return "the new credentials could not be put in use (out of memory)";
}

static bool arg(struct vici_req *r, const char *key, char *buf, size_t cap)
{
    return vici_msg_get_str(r->msg, key, buf, cap) && buf[0];
}

/* load-cert {type, flag, data}: X509 (flag NONE or CA) or X509_CRL */
static int cmd_load_cert(struct vici_req *r)
{
    char type[32], flag[16] = "NONE", err[160];
    struct span data;
    if (!arg(r, "type", type, sizeof type)) {
        reply(r, "certificate type missing");
        return 0;
    }
    arg(r, "flag", flag, sizeof flag);
    /* charon reads enum names without regard to case */
    bool x509 = !strcasecmp(type, "X509"), crl = !strcasecmp(type, "X509_CRL");
    if (!x509 && !crl) {
        snprintf(err, sizeof err, "kite loads no '%s' certificates (X509 and X509_CRL only)", type);
        reply(r, err);
        return 0;
    }
    bool ca = !strcasecmp(flag, "CA");
    if (x509 && strcasecmp(flag, "NONE") && !ca) {
        snprintf(err, sizeof err, "invalid certificate flag '%s' (kite knows NONE and CA)", flag);
        reply(r, err);
        return 0;
    }
    if (!vici_msg_get(r->msg, "data", &data) || !data.n) {
        reply(r, "certificate data missing");
        return 0;
    }
    int rc = crl ? cred_store_add_crl(r->s->creds, data, err, sizeof err)
                 : cred_store_add_cert(r->s->creds, data, ca, err, sizeof err);
    if (!rc)
        log_msg(r->s->env.log, LOG_CFG, 1, "vici: loaded %s %s", crl ? "CRL" : "certificate",
                crl ? "" : ca ? "(CA)" : "");
    reply(r, rc ? err : apply(r->s));
    return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = 0;
}

/* load-key {type, data} => {success, id}: id the key identifier in hex */
static int cmd_load_key(struct vici_req *r)
{
    char type[16], err[160], idhex[2 * CRED_KEY_ID_LEN + 1];
    uint8_t id[CRED_KEY_ID_LEN];
    struct span data;
    if (!arg(r, "type", type, sizeof type)) {
        reply(r, "key type missing");
        return 0;
    }
    if (!vici_msg_get(r->msg, "data", &data) || !data.n) {
        reply(r, "key data missing");
        return 0;
    }
    if (cred_store_add_key(r->s->creds, data, type, id, err, sizeof err)) {
        reply(r, err);
        return 0;
    }
    const char *fail = apply(r->s);
    reply(r, fail);
    hex(id, sizeof id, idhex);
    if (!fail)
        vici_bld_kv_str(r->b, "id", idhex);
    log_msg(r->s->env.log, LOG_CFG, 1, "vici: loaded %s private key %s", type, idhex);
    return 0;
}

/* "0a1b..." (colons allowed, as charon parses it) into id; false if not 20 bytes */
static bool parse_id(const char *s, uint8_t id[CRED_KEY_ID_LEN])
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned v;
        if (*s == ':')
            continue;
        if (n == CRED_KEY_ID_LEN || sscanf(s, "%2x", &v) != 1 || !s[1] || s[1] == ':')
            return false;
        id[n++] = (uint8_t)v;
        s++;
    }
    return n == CRED_KEY_ID_LEN;
}

static int cmd_unload_key(struct vici_req *r)
{
    char idhex[128];
    uint8_t id[CRED_KEY_ID_LEN];
    if (!arg(r, "id", idhex, sizeof idhex)) {
        reply(r, "key id missing");
        return 0;
    }
    if (!parse_id(idhex, id) || cred_store_remove_key(r->s->creds, id)) {
        reply(r, "key not found");
        return 0;
    }
    log_msg(r->s->env.log, LOG_CFG, 1, "vici: unloaded private key with id %s", idhex);
    reply(r, apply(r->s));
    return 0;
}

/* get-keys => {keys = [ids]}: those loaded over VICI only, as charon */
static int cmd_get_keys(struct vici_req *r)
{
    const struct cred_store *c = r->s->creds;
    vici_bld_list(r->b, "keys");
    for (size_t i = 0; i < cred_store_n_keys(c); i++) {
        uint8_t id[CRED_KEY_ID_LEN];
        char idhex[2 * CRED_KEY_ID_LEN + 1];
        if (cred_key_id(cred_store_key_at(c, i), id))
            continue;
        hex(id, sizeof id, idhex);
        vici_bld_item_str(r->b, idhex);
    }
    vici_bld_list_end(r->b);
    return 0;
}

int vici_cred_clear(struct vici_srv *s)
{
    struct cred_store *empty;
    if (cred_store_empty(&empty))
        return KITE_E_NOMEM;
    cred_store_unref(s->creds);
    s->creds = empty;
    return 0;
}

static int cmd_clear_creds(struct vici_req *r)
{
    if (vici_cred_clear(r->s)) {
        reply(r, "out of memory");
        return 0;
    }
    if (r->s->clear_shared)
        r->s->clear_shared(r->s);
    log_msg(r->s->env.log, LOG_CFG, 1, "vici: cleared the credentials loaded over VICI");
    reply(r, apply(r->s));
    return 0;
}

/* ---- list-certs ---- */

struct cert_filter {
    bool x509, crl;     /* types wanted */
    bool none, ca;      /* X.509 flags wanted */
    char subject[256];  /* "" any */
};

static void list_cert(struct vici_req *r, const struct cred_store *c, X509 *x, const char *flag,
                      const struct cert_filter *f)
{
    char dn[256];
    unsigned char *der = NULL;
    cred_name_format(X509_get_subject_name(x), dn, sizeof dn);
    if (f->subject[0] && strcmp(f->subject, dn))
        return;
    int n = i2d_X509(x, &der);
    if (n <= 0)
        return;
    vici_bld_packet(&r->s->ev, VICI_EVENT, "list-cert");
    vici_bld_kv_str(&r->s->ev, "type", "X509");
    vici_bld_kv_str(&r->s->ev, "flag", flag);
    if (cred_store_key_for(c, x))
        vici_bld_kv_str(&r->s->ev, "has_privkey", "yes");
    vici_bld_kv(&r->s->ev, "data", der, (size_t)n);
    OPENSSL_free(der);
    vici_event_send(r->s, r->c, VICI_EV_LIST_CERT);
}

static void list_crl(struct vici_req *r, X509_CRL *crl)
{
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    if (n <= 0)
        return;
    vici_bld_packet(&r->s->ev, VICI_EVENT, "list-cert");
    vici_bld_kv_str(&r->s->ev, "type", "X509_CRL");
    vici_bld_kv(&r->s->ev, "data", der, (size_t)n);
    OPENSSL_free(der);
    vici_event_send(r->s, r->c, VICI_EV_LIST_CERT);
}

/* type ANY|X509|X509_CRL (others: nothing to list), flag ANY|NONE|CA */
static bool filter_of(struct vici_req *r, struct cert_filter *f)
{
    char type[32] = "ANY", flag[16] = "ANY";
    arg(r, "type", type, sizeof type);
    arg(r, "flag", flag, sizeof flag);
    bool any = !strcasecmp(type, "ANY"), any_flag = any || !strcasecmp(flag, "ANY");
    f->x509 = any || !strcasecmp(type, "X509");
    f->crl = any || !strcasecmp(type, "X509_CRL");
    f->none = any_flag || !strcasecmp(flag, "NONE");
    f->ca = any_flag || !strcasecmp(flag, "CA");
    if (!arg(r, "subject", f->subject, sizeof f->subject))
        f->subject[0] = 0;
    return f->x509 || f->crl;
}

/* one list-cert event per certificate the engine uses (files and VICI),
 * end-entity ones first, then CAs, then CRLs (charon's order), then an
 * empty response */
static int cmd_list_certs(struct vici_req *r)
{
    struct cert_filter f;
    const struct cred_store *c = r->s->env.creds_live ? r->s->env.creds_live(r->s->env.ctx) : r->s->creds;
    if (!c || !filter_of(r, &f))
        return 0;
    for (size_t i = 0; f.x509 && f.none && i < cred_store_n_certs(c); i++)
        list_cert(r, c, cred_store_cert_at(c, i), "NONE", &f);
    for (size_t i = 0; f.x509 && f.ca && i < cred_store_n_cas(c); i++)
        list_cert(r, c, cred_store_ca(c, i), "CA", &f);
    for (size_t i = 0; f.crl && !f.subject[0] && i < cred_store_n_crls(c); i++)
        list_crl(r, cred_store_crl(c, i));
    return 0;
}

/* ---- certification authorities: kite has none (no CRL/OCSP URIs, no
 * cert_uri_base), its CAs are plain trust anchors ---- */

static const char no_authorities[] =
    "kite has no certification authority sections (authorities); load CA certificates with load-cert";

static int cmd_load_authority(struct vici_req *r)
{
    reply(r, no_authorities);
    return 0;
}

/* unload-authority: none can have been loaded */
static int cmd_unload_authority(struct vici_req *r)
{
    char name[128], err[200];
    snprintf(err, sizeof err, "unloading authority '%s' failed: kite has no authorities",
             arg(r, "name", name, sizeof name) ? name : "");
    reply(r, err);
    return 0;
}

/* get-authorities: an empty list; list-authorities: no events */
static int cmd_get_authorities(struct vici_req *r)
{
    vici_bld_list(r->b, "authorities");
    vici_bld_list_end(r->b);
    return 0;
}

static int cmd_list_authorities(struct vici_req *r)
{
    (void)r;
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct vici_req *r);
} cmds[] = {
    { "load-cert", cmd_load_cert },
    { "load-key", cmd_load_key },
    { "unload-key", cmd_unload_key },
    { "get-keys", cmd_get_keys },
    { "clear-creds", cmd_clear_creds },
    { "list-certs", cmd_list_certs },
    { "load-authority", cmd_load_authority },
    { "unload-authority", cmd_unload_authority },
    { "get-authorities", cmd_get_authorities },
    { "list-authorities", cmd_list_authorities },
};

int vici_cred_run(struct vici_req *r, const char *name)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmds[i].name, name))
            return cmds[i].fn(r);
    return KITE_E_NOT_FOUND;
}
