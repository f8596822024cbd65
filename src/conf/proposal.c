/* proposal: strongSwan's proposal strings, e.g. "aes256gcm16-prfsha256-x25519",
 * "aes128-sha256-modp2048", several per list ("a-b-c,d-e-f").  In an IKE
 * proposal an integrity keyword without a prf keyword also gives the PRF of
 * the same hash (strongSwan's rule); an AEAD IKE proposal needs a prf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "crypto/registry.h"

/* strongSwan 5.9's default proposals, as far as kite's registry goes */
static const char *const default_ike = "aes128-aes192-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp3072-modp2048,"
                                       "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp3072-modp2048";
static const char *const default_esp = "aes128gcm16-aes256gcm16-chacha20poly1305,aes128-aes256-sha256-sha384-sha512";

static int add(struct conf_prop *p, const struct xf_info *x)
{
    if (p->n >= CONF_MAX_XF)
        return -1;
    p->xf[p->n].type = (uint8_t)x->type;
    p->xf[p->n].id = x->id;
    p->xf[p->n].key_bits = x->key_length_attr ? x->key_bits : 0;
    p->n++;
    return 0;
}

static bool has(const struct conf_prop *p, uint8_t type)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->xf[i].type == type)
            return true;
    return false;
}

/* the PRF that goes with an integrity algorithm (strongSwan's rule) */
static uint16_t prf_for(uint16_t integ)
{
    switch (integ) {
    case AUTH_HMAC_SHA2_256_128: return PRF_HMAC_SHA2_256;
    case AUTH_HMAC_SHA2_384_192: return PRF_HMAC_SHA2_384;
    case AUTH_HMAC_SHA2_512_256: return PRF_HMAC_SHA2_512;
    case AUTH_HMAC_SHA1_96: return PRF_HMAC_SHA1;
    case AUTH_AES_XCBC_96: return PRF_AES128_XCBC;
    case AUTH_HMAC_MD5_96: return PRF_HMAC_MD5;
    case AUTH_AES_CMAC_96: return PRF_AES128_CMAC;
    default: return 0;
    }
}

static const struct xf_info *keyword(const char *kw, bool ike)
{
    static const enum xf_type order[] = { XF_ENCR, XF_INTEG, XF_PRF, XF_KE, XF_ESN };
    for (unsigned i = 0; i < 5; i++) {
        if (order[i] == XF_PRF && !ike)
            continue;
        const struct xf_info *x = xf_by_keyword(order[i], kw);
        if (x)
            return x;
    }
    return NULL;
}

static int too_many(char *err, size_t errcap)
{
    snprintf(err, errcap, "more than %d algorithms in one proposal", CONF_MAX_XF);
    return -1;
}

/* the checks and additions once every keyword is read: an encryption
 * algorithm, the PRF derived from the integrity algorithm (IKE), integrity
 * unless AEAD, ESN (ESP), a KE group (IKE).  Weak algorithms pass: they
 * are here because the user wrote them (conf_prop_weak() names them). */
static int complete(struct conf_prop *p, bool ike, char *err, size_t errcap)
{
    bool aead = false;
    for (unsigned i = 0; i < p->n; i++)
        if (p->xf[i].type == XF_ENCR && xf_lookup(XF_ENCR, p->xf[i].id, p->xf[i].key_bits)->aead)
            aead = true;
    if (!has(p, XF_ENCR)) {
        snprintf(err, errcap, "no encryption algorithm");
        return -1;
    }
    for (unsigned i = 0; ike && i < p->n; i++)
        if (p->xf[i].type == XF_ENCR && p->xf[i].id == ENCR_NULL) {
            /* RFC 7296 3.3.2: ENCR_NULL is for ESP only; IKE is always encrypted */
            snprintf(err, errcap, "'null' is refused in IKE: an IKE SA is always encrypted (RFC 7296 3.3.2)");
            return -1;
        }
    if (ike && !has(p, XF_PRF)) {
        unsigned n = p->n;
        for (unsigned i = 0; i < n; i++)
            if (p->xf[i].type == XF_INTEG && prf_for(p->xf[i].id) && add(p, xf_lookup(XF_PRF, prf_for(p->xf[i].id), 0)))
                return too_many(err, errcap);
        if (!has(p, XF_PRF)) {
            snprintf(err, errcap, "needs a PRF (e.g. prfsha256)");
            return -1;
        }
    }
    if (!aead && !has(p, XF_INTEG)) {
        snprintf(err, errcap, "needs an integrity algorithm");
        return -1;
    }
    /* ESP proposals carry ESN (RFC 7296 3.3.3); strongSwan's default is no */
    if (!ike && !has(p, XF_ESN) && add(p, xf_lookup(XF_ESN, ESN_NO, 0)))
        return too_many(err, errcap);
    if (ike && !has(p, XF_KE)) {
        snprintf(err, errcap, "needs a key exchange group");
        return -1;
    }
    return 0;
}

/* the algorithms of one proposal "a-b-c" */
static int keywords(char *text, bool ike, struct conf_prop *p, char *err, size_t errcap)
{
    char *save = NULL;
    for (char *kw = strtok_r(text, "-", &save); kw; kw = strtok_r(NULL, "-", &save)) {
        const struct xf_info *x = keyword(kw, ike);
        const char *why = x ? NULL : xf_refused_reason(kw);
        if (why) {
            snprintf(err, errcap, "'%s' is refused: %s", kw, why);
            return -1;
        }
        if (!x || (x->type == XF_ESN && ike)) {
            snprintf(err, errcap, "unknown or misplaced algorithm '%s'", kw);
            return -1;
        }
        if (add(p, x))
            return too_many(err, errcap);
    }
    return 0;
}

/* one proposal; an error names it */
static int one(const char *text, bool ike, struct conf_prop *p, char *err, size_t errcap)
{
    char *copy = strdup(text);
    memset(p, 0, sizeof *p);
    if (!copy) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc = keywords(copy, ike, p, err, errcap);
    free(copy);
    if (!rc)
        rc = complete(p, ike, err, errcap);
    size_t used = rc ? strlen(err) : errcap; /* err holds a message only on failure */
    if (rc && used < errcap)
        snprintf(err + used, errcap - used, " (proposal '%s')", text);
    return rc;
}

/* the defaults expanded into out[*n...], refused when they do not fit */
static int defaults(bool ike, struct conf_prop *out, uint8_t *n, char *err, size_t errcap)
{
    struct conf_prop tmp[CONF_MAX_PROPS];
    uint8_t k;
    if (conf_parse_proposals(ike ? default_ike : default_esp, ike, tmp, &k, err, errcap))
        return -1;
    if (*n + k > CONF_MAX_PROPS) {
        snprintf(err, errcap, "more than %d proposals", CONF_MAX_PROPS);
        return -1;
    }
    memcpy(out + *n, tmp, k * sizeof tmp[0]);
    *n = (uint8_t)(*n + k);
    return 0;
}

int conf_parse_proposals(const char *text, bool ike, struct conf_prop *out, uint8_t *n, char *err, size_t errcap)
{
    char *save = NULL, *list = strdup(text); /* the whole value, however long: nothing is cut off */
    int rc = list ? 0 : -1;
    *n = 0;
    if (!list)
        snprintf(err, errcap, "out of memory");
    for (char *p = list ? strtok_r(list, ", ", &save) : NULL; p && !rc; p = strtok_r(NULL, ", ", &save)) {
        if (strcmp(p, "default") == 0) {
            rc = defaults(ike, out, n, err, errcap);
            continue;
        }
        if (*n >= CONF_MAX_PROPS) {
            snprintf(err, errcap, "more than %d proposals", CONF_MAX_PROPS);
            rc = -1;
        } else if (one(p, ike, &out[*n], err, errcap)) {
            rc = -1;
        } else {
            (*n)++;
        }
    }
    if (!rc && !*n) {
        snprintf(err, errcap, "empty proposal list");
        rc = -1;
    }
    free(list);
    return rc;
}

/* append the keyword of each weak transform not yet named in buf */
static void weak_one(const struct conf_prop *p, char *buf, size_t cap)
{
    for (unsigned i = 0; i < p->n; i++) {
        const struct xf_info *x = xf_lookup(p->xf[i].type, p->xf[i].id, p->xf[i].key_bits);
        if (!x || xf_allowed(x, false))
            continue;
        size_t used = strlen(buf), k = strlen(x->keyword);
        bool named = false;
        for (const char *at = buf; !named && (at = strstr(at, x->keyword)); at += k)
            named = (at == buf || at[-1] == ' ') && (at[k] == ',' || !at[k]);
        if (!named && used < cap)
            snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", x->keyword);
    }
}

bool conf_prop_weak(const struct conf_prop *p, unsigned n, char *buf, size_t cap)
{
    for (unsigned i = 0; i < n; i++)
        weak_one(&p[i], buf, cap);
    return buf[0] != 0;
}
