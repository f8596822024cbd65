/* proposal: strongSwan's proposal strings, e.g. "aes256gcm16-prfsha256-x25519",
 * "aes128-sha256-modp2048", several per list ("a-b-c,d-e-f").  In an IKE
 * proposal an integrity keyword without a prf keyword also gives the PRF of
 * the same hash (strongSwan's rule); an AEAD IKE proposal needs a prf. */
#include <stdio.h>
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

/* the PRF that goes with an integrity algorithm */
static uint16_t prf_for(uint16_t integ)
{
    switch (integ) {
    case AUTH_HMAC_SHA2_256_128: return PRF_HMAC_SHA2_256;
    case AUTH_HMAC_SHA2_384_192: return PRF_HMAC_SHA2_384;
    case AUTH_HMAC_SHA2_512_256: return PRF_HMAC_SHA2_512;
    case AUTH_HMAC_SHA1_96: return PRF_HMAC_SHA1;
    case AUTH_AES_XCBC_96: return PRF_AES128_XCBC;
    case AUTH_HMAC_MD5_96: return PRF_HMAC_MD5;
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

static int one(const char *text, bool ike, struct conf_prop *p, char *err, size_t errcap)
{
    char buf[512], *save = NULL;
    memset(p, 0, sizeof *p);
    snprintf(buf, sizeof buf, "%s", text);
    for (char *kw = strtok_r(buf, "-", &save); kw; kw = strtok_r(NULL, "-", &save)) {
        const struct xf_info *x = keyword(kw, ike);
        if (!x || (x->type == XF_ESN && ike) || add(p, x)) {
            snprintf(err, errcap, "unknown or misplaced algorithm '%s' in proposal '%s'", kw, text);
            return -1;
        }
    }
    bool aead = false;
    for (unsigned i = 0; i < p->n; i++)
        if (p->xf[i].type == XF_ENCR && xf_lookup(XF_ENCR, p->xf[i].id, p->xf[i].key_bits)->aead)
            aead = true;
    if (!has(p, XF_ENCR)) {
        snprintf(err, errcap, "proposal '%s' has no encryption algorithm", text);
        return -1;
    }
    if (ike && !has(p, XF_PRF)) {
        unsigned n = p->n;
        for (unsigned i = 0; i < n; i++)
            if (p->xf[i].type == XF_INTEG && prf_for(p->xf[i].id))
                add(p, xf_lookup(XF_PRF, prf_for(p->xf[i].id), 0));
        if (!has(p, XF_PRF)) {
            snprintf(err, errcap, "proposal '%s' needs a PRF (e.g. prfsha256)", text);
            return -1;
        }
    }
    if (!aead && !has(p, XF_INTEG)) {
        snprintf(err, errcap, "proposal '%s' needs an integrity algorithm", text);
        return -1;
    }
    if (!ike && !has(p, XF_ESN)) /* ESP proposals carry ESN (RFC 7296 3.3.3); strongSwan's default is no */
        add(p, xf_lookup(XF_ESN, ESN_NO, 0));
    if (ike && !has(p, XF_KE)) {
        snprintf(err, errcap, "proposal '%s' needs a key exchange group", text);
        return -1;
    }
    for (unsigned i = 0; i < p->n; i++) {
        const struct xf_info *x = xf_lookup(p->xf[i].type, p->xf[i].id, p->xf[i].key_bits);
        if (x && !xf_allowed(x, false)) {
            snprintf(err, errcap, "'%s' is a legacy algorithm and is refused (proposal '%s')", x->keyword, text);
            return -1;
        }
    }
    return 0;
}

int conf_parse_proposals(const char *text, bool ike, struct conf_prop *out, uint8_t *n, char *err, size_t errcap)
{
    char buf[1024], *save = NULL;
    *n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *p = strtok_r(buf, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
        if (strcmp(p, "default") == 0) {
            uint8_t k;
            if (conf_parse_proposals(ike ? default_ike : default_esp, ike, out + *n, &k, err, errcap))
                return -1;
            *n = (uint8_t)(*n + k);
            continue;
        }
        if (*n >= CONF_MAX_PROPS) {
            snprintf(err, errcap, "more than %d proposals", CONF_MAX_PROPS);
            return -1;
        }
        if (one(p, ike, &out[*n], err, errcap))
            return -1;
        (*n)++;
    }
    if (!*n) {
        snprintf(err, errcap, "empty proposal list");
        return -1;
    }
    return 0;
}
