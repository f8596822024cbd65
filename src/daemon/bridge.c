#include "daemon/bridge.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cred/id.h"
#include "cred/verify.h"
#include "daemon/resolve.h"

/* every record the configuration accepts fits the engine's whole: nothing
 * is cut here (conf/ refuses what does not fit, with file:line) */
#define FITS(a, b) ((int)(a) <= (int)(b))
_Static_assert(FITS(CONF_NAME_MAX, IKE_NAME_MAX) && FITS(CONF_MAX_XF, IKE_MAX_XF) &&
                   FITS(CONF_MAX_PROPS, IKE_MAX_PROPS) && FITS(CONF_MAX_TS, IKE_MAX_TS_CFG) &&
                   FITS(CONF_ID_MAX, IKE_ID_MAX) && FITS(CONF_PSK_MAX, sizeof((struct ike_conn_cfg *)0)->psk),
               "conf/ limits must not exceed ike/ ones");
_Static_assert((int)CONF_FILE_MAX == (int)IKE_FILE_MAX, "certificate lists");
_Static_assert((int)CONF_KEY_ED448 == (int)IKE_KEYK_ED448 && (int)CONF_KEY_RSA == (int)IKE_KEYK_RSA &&
                   (int)CONF_AUTH_PUBKEY == (int)IKE_AUTHK_PUBKEY, "auth kinds");
_Static_assert((int)CONF_SEND_CERT_NEVER == (int)IKE_SEND_CERT_NEVER &&
                   (int)CONF_SEND_CERT_ALWAYS == (int)IKE_SEND_CERT_ALWAYS, "send_cert");
_Static_assert((int)CONF_REV_STRICT == (int)CRED_REV_STRICT && (int)CONF_REV_IFURI == (int)CRED_REV_IFURI &&
                   (int)CONF_REV_RELAXED == (int)CRED_REV_RELAXED, "revocation");

static void prop(const struct conf_prop *in, struct ike_prop_cfg *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < in->n; i++) {
        out->xf[i].type = in->xf[i].type;
        out->xf[i].id = in->xf[i].id;
        out->xf[i].key_bits = in->xf[i].key_bits;
        out->n++;
    }
}

static void ts(const struct conf_ts *in, struct ike_ts_cfg *out)
{
    memset(out, 0, sizeof *out);
    out->family = in->family;
    out->ip_proto = in->ip_proto;
    out->port_lo = in->port_lo;
    out->port_hi = in->port_hi;
    memcpy(out->lo, in->lo, 16);
    memcpy(out->hi, in->hi, 16);
    out->dynamic = in->dynamic;
}

static void id(const struct conf_id *in, struct ike_id_cfg *out)
{
    out->type = in->type;
    out->len = in->len;
    memcpy(out->data, in->data, in->len);
}

/* n zeroed records for *out (NULL for none); 0 or -1 */
static int alloc_n(void *outp, size_t n, size_t size)
{
    void **out = outp;
    *out = n ? calloc(n, size) : NULL;
    return n && !*out ? -1 : 0;
}

static int child(const struct conf_child *in, struct ike_child_cfg *out)
{
    memset(out, 0, sizeof *out);
    if (alloc_n(&out->local_ts, in->n_local_ts, sizeof *out->local_ts) ||
        alloc_n(&out->remote_ts, in->n_remote_ts, sizeof *out->remote_ts) ||
        alloc_n(&out->esp, in->n_esp, sizeof *out->esp))
        return -1; /* freed with the connection */
    memcpy(out->name, in->name, sizeof in->name);
    for (unsigned i = 0; i < in->n_local_ts; i++)
        ts(&in->local_ts[i], &out->local_ts[out->n_local_ts++]);
    for (unsigned i = 0; i < in->n_remote_ts; i++)
        ts(&in->remote_ts[i], &out->remote_ts[out->n_remote_ts++]);
    for (unsigned i = 0; i < in->n_esp; i++)
        prop(&in->esp[i], &out->esp[out->n_esp++]);
    out->transport = in->transport;
    out->start = in->start_action == CONF_START_START;
    out->rekey_time_s = in->rekey_time;
    out->rand_time_s = in->rand_time < in->rekey_time ? in->rand_time : in->rekey_time;
    out->life_time_s = in->life_time;
    out->rekey_bytes = in->rekey_bytes;
    out->rekey_packets = in->rekey_packets;
    out->life_bytes = in->life_bytes;
    out->life_packets = in->life_packets;
    out->close_action = in->close_action == CONF_CLOSE_START ? IKE_CLOSE_START : IKE_CLOSE_NONE;
    if (in->close_action == CONF_CLOSE_TRAP)
        out->close_action = IKE_CLOSE_TRAP;
    out->trap = in->start_action == CONF_START_TRAP;
    out->dpd_trap = in->dpd_action == CONF_DPD_TRAP;
    return 0;
}

/* reauthentication, the IKE SA's lifetime and uniqueness (conf_life.c) */
static void life(const struct conf_conn *k, struct ike_conn_cfg *out)
{
    static const uint8_t unique[] = { [CONF_UNIQUE_NO] = IKE_UNIQUE_NO, [CONF_UNIQUE_NEVER] = IKE_UNIQUE_NEVER,
                                      [CONF_UNIQUE_KEEP] = IKE_UNIQUE_KEEP, [CONF_UNIQUE_REPLACE] = IKE_UNIQUE_REPLACE };
    out->reauth_time_s = k->reauth_time;
    out->rand_time_s = k->rand_time;
    out->rand_time_set = true;
    out->over_time_s = k->over_time;
    out->over_time_set = true;
    out->unique = k->unique <= CONF_UNIQUE_REPLACE ? unique[k->unique] : IKE_UNIQUE_NO;
}

static enum ike_frag_mode frag_mode(enum conf_frag f)
{
    switch (f) {
    case CONF_FRAG_ACCEPT: return IKE_FRAG_ACCEPT;
    case CONF_FRAG_FORCE: return IKE_FRAG_FORCE;
    case CONF_FRAG_NO: return IKE_FRAG_NO;
    case CONF_FRAG_YES: break;
    }
    return IKE_FRAG_YES;
}

static void auth(const struct conf_auth *in, struct ike_auth_cfg *out)
{
    out->kind = in->kind == CONF_AUTH_EAP ? IKE_AUTHK_EAP : in->kind == CONF_AUTH_PUBKEY ? IKE_AUTHK_PUBKEY
                                                                                      : IKE_AUTHK_PSK;
    out->key = in->key;
    out->pss = in->pss;
    out->hashes = in->hashes;
    out->eap_type = in->eap_type;
}

/* every named certificate file is in the store */
static int certs(const struct cred_store *creds, const char (*in)[CONF_FILE_MAX], char (**outp)[IKE_FILE_MAX],
                 const char *key, const char *conn, char *err, size_t errcap)
{
    size_t n = ike_files_count(in);
    char (*out)[IKE_FILE_MAX] = n ? calloc(n + 1, sizeof *out) : NULL; /* + the empty name that ends it */
    *outp = out;
    if (n && !out) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!creds || !cred_store_cert(creds, in[i])) {
            snprintf(err, errcap, "%s: certificate '%s' of connection '%s' is not loaded (x509/, x509ca/)", key,
                     in[i], conn);
            return -1;
        }
        memcpy(out[i], in[i], IKE_FILE_MAX);
    }
    return 0;
}

/* local.id defaults to the subject of the first local certificate */
static int cert_subject(const struct cred_store *creds, const char *file, struct ike_id_cfg *id)
{
    X509 *x = cred_store_cert(creds, file);
    unsigned char *der = NULL;
    int n = x ? i2d_X509_NAME(X509_get_subject_name(x), &der) : -1;
    if (n <= 0 || n > IKE_ID_MAX) {
        OPENSSL_free(der);
        return -1;
    }
    id->type = 9; /* ID_DER_ASN1_DN */
    id->len = (uint16_t)n;
    memcpy(id->data, der, (size_t)n);
    OPENSSL_free(der);
    return 0;
}

static int pubkey(const struct conf_conn *k, const struct cred_store *creds, struct ike_conn_cfg *out, char *err,
                  size_t errcap)
{
    auth(&k->local_auth, &out->local_auth);
    auth(&k->remote_auth, &out->remote_auth);
    out->send_cert = k->send_cert;
    out->no_certreq = !k->send_certreq;
    out->revocation = k->revocation;
    if (certs(creds, k->local_certs, &out->local_certs, "local.certs", k->name, err, errcap) ||
        certs(creds, k->remote_certs, &out->remote_certs, "remote.certs", k->name, err, errcap) ||
        certs(creds, k->cacerts, &out->cacerts, "remote.cacerts", k->name, err, errcap))
        return -1;
    if (k->local_auth.kind != CONF_AUTH_PUBKEY)
        return 0;
    if (!k->local_certs && k->local_id_set)
        return 0; /* as charon: a certificate of local.id with its key, found when authenticating (one
                     loaded over VICI, say) */
    if (!k->local_certs) {
        snprintf(err, errcap, "local.auth = pubkey needs local.certs (a certificate in x509/) or local.id");
        return -1;
    }
    if (!k->local_id_set && cert_subject(creds, k->local_certs[0], &out->local_id)) {
        snprintf(err, errcap, "the subject of '%s' does not fit an identity", k->local_certs[0]);
        return -1;
    }
    X509 *x = cred_store_cert(creds, k->local_certs[0]);
    if (!cred_cert_has_id(x, out->local_id.type, span_of(out->local_id.data, out->local_id.len))) {
        /* sent as configured (charon would send the subject instead), but
         * said: a peer checking RFC 4945 3.1 refuses it */
        char id[256];
        cred_id_format(out->local_id.type, span_of(out->local_id.data, out->local_id.len), id, sizeof id);
        snprintf(err, errcap, "local.id '%s' is not in the certificate '%s' (subject or subjectAltName): peers "
                              "will refuse it", id, k->local_certs[0]);
        return 1;
    }
    return 0;
}

static int bridge_lists(const struct conf_conn *k, struct ike_conn_cfg *out, char *err, size_t errcap)
{
    if (k->n_children > IKE_MAX_CHILD_CFGS) {
        snprintf(err, errcap, "connection '%s' has %u children; at most %d are supported", k->name,
                 k->n_children, IKE_MAX_CHILD_CFGS);
        return -1;
    }
    if (alloc_n(&out->ike, k->n_ike, sizeof *out->ike) || alloc_n(&out->child, k->n_children, sizeof *out->child)) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (unsigned p = 0; p < k->n_ike; p++)
        prop(&k->ike[p], &out->ike[out->n_ike++]);
    for (uint32_t ch = 0; ch < k->n_children; ch++)
        if (child(&k->child[ch], &out->child[out->n_children++])) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
    return 0;
}

static int bridge_conn_lists(const struct kite_conf *c, int i, const struct cred_store *creds, uint16_t ike_port,
                             uint16_t natt_port, struct ike_conn_cfg *out, char *err, size_t errcap);

/* vips and pools (configuration payloads); a pool the configuration does
 * not define is a warning: the connection assigns from the others */
static int cp(const struct kite_conf *c, const struct conf_conn *k, struct ike_conn_cfg *out, char *err,
              size_t errcap)
{
    int warned = 0;
    for (unsigned v = 0; v < k->n_vips && v < IKE_MAX_VIPS; v++) {
        out->vips[v].family = k->vips[v].family;
        memcpy(out->vips[v].ip, k->vips[v].ip, 16);
        out->n_vips++;
    }
    for (unsigned p = 0; p < k->n_pools && p < IKE_MAX_POOLS; p++) {
        snprintf(out->pools[p], sizeof out->pools[p], "%s", k->pools[p]);
        out->n_pools++;
        if (conf_pool_find(c, k->pools[p]) < 0 && !warned) {
            snprintf(err, errcap, "pool '%s' is not defined (pools { %s { addrs = ... } })", k->pools[p], k->pools[p]);
            warned = 1;
        }
    }
    return warned;
}

int bridge_pools(const struct kite_conf *c, struct ike_pool_cfg **out, struct ike_pool_attr **attrs, unsigned *n)
{
    size_t n_attrs = 0, at = 0;
    for (int i = 0; i < c->n_pools; i++)
        n_attrs += c->pools[i].n_attrs;
    *n = 0;
    *out = calloc(c->n_pools ? (size_t)c->n_pools : 1, sizeof **out);
    *attrs = calloc(n_attrs ? n_attrs : 1, sizeof **attrs);
    if (!*out || !*attrs) {
        free(*out);
        free(*attrs);
        *out = NULL;
        *attrs = NULL;
        return -1;
    }
    for (int i = 0; i < c->n_pools; i++) {
        const struct conf_pool *p = &c->pools[i];
        struct ike_pool_cfg *o = &(*out)[(*n)++];
        snprintf(o->name, sizeof o->name, "%s", p->name);
        o->family = p->family;
        memcpy(o->lo, p->lo, 16);
        memcpy(o->hi, p->hi, 16);
        o->attrs = &(*attrs)[at];
        o->n_attrs = p->n_attrs;
        for (unsigned k = 0; k < p->n_attrs; k++, at++) {
            (*attrs)[at].type = p->attrs[k].type;
            (*attrs)[at].len = p->attrs[k].len;
            memcpy((*attrs)[at].value, p->attrs[k].value, sizeof (*attrs)[at].value);
        }
    }
    return 0;
}

/* remote_addrs as a DNS name: resolved now, within RESOLVE_LOAD_MS
 * (daemon/resolve.c resolves it again later); true when it did not */
static bool remote_host(const struct conf_conn *k, struct ike_conn_cfg *out)
{
    if (!k->remote_host[0])
        return false;
    _Static_assert(sizeof out->remote_host >= CONF_HOST_MAX, "host names fit");
    memcpy(out->remote_host, k->remote_host, strlen(k->remote_host) + 1);
    struct ike_addr a;
    if (resolve_bounded(k->remote_host, k->local.family, RESOLVE_LOAD_MS, &a))
        return true;
    out->remote.family = a.family;
    memcpy(out->remote.ip, a.ip, 16);
    return false;
}

/* local_addrs as a DNS name (one of our own addresses by name): resolved
 * once, when the connection loads, within RESOLVE_LOAD_MS, in remote_addrs'
 * family when that is known; one that does not resolve refuses the
 * connection (kite would otherwise send from and answer on any address) */
static int local_host(const struct conf_conn *k, struct ike_conn_cfg *out, char *err, size_t errcap)
{
    struct ike_addr a;
    int rc = resolve_bounded(k->local_host, k->remote.family, RESOLVE_LOAD_MS, &a);
    if (rc) {
        snprintf(err, errcap, "local_addrs = %s: the name does not resolve%s", k->local_host,
                 k->remote.family ? " to an address of remote_addrs' family" : "");
        return -1;
    }
    out->local.family = a.family;
    memcpy(out->local.ip, a.ip, 16);
    return 0;
}

int bridge_conn(const struct kite_conf *c, int i, const struct cred_store *creds, uint16_t ike_port,
                uint16_t natt_port, struct ike_conn_cfg *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    int rc = bridge_conn_lists(c, i, creds, ike_port, natt_port, out, err, errcap);
    if (rc < 0)
        ike_conn_cfg_free(out);
    return rc;
}

static int bridge_conn_lists(const struct kite_conf *c, int i, const struct cred_store *creds, uint16_t ike_port,
                             uint16_t natt_port, struct ike_conn_cfg *out, char *err, size_t errcap)
{
    const struct conf_conn *k = &c->conns[i];
    if (bridge_lists(k, out, err, errcap))
        return -1;
    memcpy(out->name, k->name, sizeof k->name);
    out->local.family = k->local.family;
    memcpy(out->local.ip, k->local.ip, 16);
    out->local.port = k->local_port == 500 ? ike_port : k->local_port;
    out->remote.family = k->remote.family;
    memcpy(out->remote.ip, k->remote.ip, 16);
    out->remote.port = k->remote_port;
    if (k->local_host[0] && local_host(k, out, err, errcap)) /* never %any in its place */
        return -1;
    _Static_assert((int)IKE_MAX_RANGES == (int)CONF_MAX_ADDRS, "remote_addrs' ranges fit");
    out->n_remote_ranges = k->n_remote_ranges;
    for (unsigned r = 0; r < k->n_remote_ranges; r++) {
        out->remote_ranges[r].family = k->remote_ranges[r].family;
        memcpy(out->remote_ranges[r].lo, k->remote_ranges[r].lo, 16);
        memcpy(out->remote_ranges[r].hi, k->remote_ranges[r].hi, 16);
    }
    out->natt_port = natt_port;
    bool unresolved = remote_host(k, out);
    id(&k->local_id, &out->local_id);
    id(&k->remote_id, &out->remote_id);
    out->encap = k->encap;
    out->dpd_delay_ms = k->dpd_delay * 1000;
    out->rekey_time_s = k->rekey_time;
    out->keyingtries = k->keyingtries;
    out->keyingtries_set = true;
    out->fragmentation = frag_mode(k->fragmentation);
    life(k, out);
    memcpy(out->local_eap_id, k->local_eap_id, sizeof out->local_eap_id);
    memcpy(out->remote_eap_id, k->remote_eap_id, sizeof out->remote_eap_id);
    out->no_mobike = k->no_mobike;
    for (unsigned ch = 0; ch < k->n_children; ch++)
        out->dpd_restart = out->dpd_restart || k->child[ch].dpd_action == CONF_DPD_RESTART;
    int warned = pubkey(k, creds, out, err, errcap);
    if (warned < 0)
        return -1;
    if (!warned)
        warned = cp(c, k, out, err, errcap);
    if (unresolved && !warned) {
        snprintf(err, errcap, "remote_addrs '%s' of connection '%s' does not resolve (yet): it neither initiates "
                              "nor answers until it does", k->remote_host, k->name);
        warned = 1;
    }
    if (k->local_auth.kind != CONF_AUTH_PSK && k->remote_auth.kind != CONF_AUTH_PSK)
        return warned;
    /* the key is looked up by the identities of each IKE SA when it
     * authenticates (daemon/secrets.c, ike/psks.c), not bound here: a
     * connection for many peers has no one key */
    int psks = 0;
    for (int s = 0; s < c->n_secrets; s++)
        psks += !c->secrets[s].eap; /* eap-x: a user's password, never a PSK */
    if (!psks && !warned) {
        snprintf(err, errcap, "no pre-shared keys are loaded (secrets { ike-... }): connection '%s' authenticates "
                              "nobody until one is", k->name);
        return 1;
    }
    return warned;
}
