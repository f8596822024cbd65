/* sig_algid: the DER AlgorithmIdentifiers of RFC 7427 Digital Signature AUTH
 * data, read from a peer and written for our own signatures.
 *
 *   AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
 *
 * RFC 7427 appendix A: sha{1,256,384,512}WithRSAEncryption (A.1, parameters
 * NULL), ecdsa-with-SHA{1,256,384,512} (A.3, no parameters), RSASSA-PSS
 * (A.4: parameters absent or the RFC 4055 RSASSA-PSS-params); RFC 8420 3 and
 * RFC 8410 3: id-Ed25519, id-Ed448 (no parameters).  A peer's NULL where none
 * is due (and none where NULL is due) is accepted, as strongSwan accepts it.
 * Only definite lengths of at most two bytes are read: nothing here is longer. */
#include "crypto/sig_int.h"
#include "crypto/sig.h"
#include "base/err.h"
#include "base/rd.h"
#include <stdbool.h>
#include <string.h>

enum {
    DER_INTEGER = 0x02, DER_NULL = 0x05, DER_OID = 0x06, DER_SEQUENCE = 0x30,
    DER_CTX0 = 0xa0, DER_CTX1 = 0xa1, DER_CTX2 = 0xa2, DER_CTX3 = 0xa3,
};

/* OID contents octets (X.690 8.19) */
static const uint8_t oid_pss[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
static const uint8_t oid_mgf1[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08 };

struct oid_entry {
    uint8_t oid[9];
    uint8_t len;
    uint8_t family; /* enum sig_family; SIG_F_NONE: a hash (RFC 4055 2.1) */
    uint8_t hash;
    bool null_params; /* DER writes NULL parameters (RFC 7427 A.1, RFC 4055 2.1) */
};

static const struct oid_entry oids[] = {
    /* pkcs-1 1.2.840.113549.1.1.{5,11,12,13} */
    { { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05 }, 9, SIG_F_PKCS1, SIG_HASH_SHA1, true },
    { { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b }, 9, SIG_F_PKCS1, SIG_HASH_SHA256, true },
    { { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c }, 9, SIG_F_PKCS1, SIG_HASH_SHA384, true },
    { { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d }, 9, SIG_F_PKCS1, SIG_HASH_SHA512, true },
    /* ecdsa-with-SHA1 1.2.840.10045.4.1, ecdsa-with-SHA2 1.2.840.10045.4.3.{2,3,4} */
    { { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 }, 7, SIG_F_ECDSA, SIG_HASH_SHA1, false },
    { { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 }, 8, SIG_F_ECDSA, SIG_HASH_SHA256, false },
    { { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 }, 8, SIG_F_ECDSA, SIG_HASH_SHA384, false },
    { { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 }, 8, SIG_F_ECDSA, SIG_HASH_SHA512, false },
    /* id-Ed25519 1.3.101.112, id-Ed448 1.3.101.113 */
    { { 0x2b, 0x65, 0x70 }, 3, SIG_F_ED25519, SIG_HASH_IDENTITY, false },
    { { 0x2b, 0x65, 0x71 }, 3, SIG_F_ED448, SIG_HASH_IDENTITY, false },
    /* the hashes: id-sha1 1.3.14.3.2.26, id-sha{256,384,512} 2.16.840.1.101.3.4.2.{1,2,3} */
    { { 0x2b, 0x0e, 0x03, 0x02, 0x1a }, 5, SIG_F_NONE, SIG_HASH_SHA1, true },
    { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 }, 9, SIG_F_NONE, SIG_HASH_SHA256, true },
    { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 }, 9, SIG_F_NONE, SIG_HASH_SHA384, true },
    { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 }, 9, SIG_F_NONE, SIG_HASH_SHA512, true },
};

size_t sig_hash_len(uint8_t hash)
{
    switch (hash) {
    case SIG_HASH_SHA1: return 20;
    case SIG_HASH_SHA256: return 32;
    case SIG_HASH_SHA384: return 48;
    case SIG_HASH_SHA512: return 64;
    }
    return 0;
}

static const struct oid_entry *oid_by_der(struct span oid)
{
    for (size_t i = 0; i < sizeof oids / sizeof oids[0]; i++)
        if (oid.n == oids[i].len && memcmp(oid.p, oids[i].oid, oid.n) == 0)
            return &oids[i];
    return NULL;
}

static const struct oid_entry *oid_by_alg(enum sig_family family, uint8_t hash)
{
    for (size_t i = 0; i < sizeof oids / sizeof oids[0]; i++)
        if (oids[i].family == family && oids[i].hash == hash)
            return &oids[i];
    return NULL;
}

static bool span_is(struct span s, const uint8_t *p, size_t n)
{
    return s.n == n && memcmp(s.p, p, n) == 0;
}

/* ---- reading --------------------------------------------------------- */

/* the next TLV, which must have this tag; its contents in *body.  Lengths in
 * short form or long form of one or two bytes, minimal as DER wants them. */
static int der_get(struct rd *r, uint8_t tag, struct rd *body)
{
    uint8_t t = 0, l0 = 0, l1 = 0;
    uint16_t l2 = 0;
    size_t len = SIZE_MAX;
    memset(body, 0, sizeof *body);
    body->err = KITE_E_MALFORMED; /* until rd_sub opens it */
    rd_u8(r, &t);
    rd_u8(r, &l0);
    if (l0 < 0x80)
        len = l0;
    else if (l0 == 0x81 && !rd_u8(r, &l1) && l1 >= 0x80)
        len = l1;
    else if (l0 == 0x82 && !rd_be16(r, &l2) && l2 >= 0x100)
        len = l2;
    if (r->err || t != tag || len == SIZE_MAX || rd_sub(r, len, body)) {
        rd_fail(r, KITE_E_MALFORMED);
        return rd_fail(body, KITE_E_MALFORMED);
    }
    return 0;
}

/* whether the next TLV has this tag (reads a copy of the reader) */
static bool der_peek(const struct rd *r, uint8_t tag)
{
    struct rd c = *r;
    uint8_t t;
    return rd_u8(&c, &t) == 0 && t == tag;
}

/* the parameters of an algorithm without them: absent or NULL */
static int params_none(struct rd *seq)
{
    struct rd null;
    if (rd_left(seq) == 0)
        return seq->err ? KITE_E_MALFORMED : 0;
    if (der_get(seq, DER_NULL, &null) || rd_left(&null) || !rd_done(seq))
        return KITE_E_UNSUPPORTED;
    return 0;
}

/* a hash AlgorithmIdentifier (RFC 4055 2.1) that is all of r */
static int hash_parse(struct rd *r, uint8_t *hash)
{
    struct rd seq, oid;
    if (der_get(r, DER_SEQUENCE, &seq) || der_get(&seq, DER_OID, &oid) || !rd_done(r))
        return KITE_E_MALFORMED;
    const struct oid_entry *e = oid_by_der(rd_rest(&oid));
    if (!e || e->family != SIG_F_NONE)
        return KITE_E_UNSUPPORTED;
    *hash = e->hash;
    return params_none(&seq);
}

/* a non-negative INTEGER below 2^16 (salt length, trailer field) that is all of r */
static int uint_parse(struct rd *r, uint16_t *v)
{
    struct rd in;
    uint8_t b[3] = { 0 };
    size_t n;
    if (der_get(r, DER_INTEGER, &in) || !rd_done(r))
        return KITE_E_MALFORMED;
    n = rd_left(&in);
    if (n == 0 || n > 3 || rd_copy(&in, b, n))
        return KITE_E_MALFORMED;
    if (b[0] & 0x80)
        return KITE_E_UNSUPPORTED; /* negative */
    if (n > 1 && b[0] == 0 && !(b[1] & 0x80))
        return KITE_E_MALFORMED; /* not minimal */
    if (n == 3 && b[0] != 0)
        return KITE_E_UNSUPPORTED;
    *v = n == 1 ? b[0] : (uint16_t)(b[n - 2] << 8 | b[n - 1]);
    return 0;
}

/* maskGenAlgorithm: MGF1 (RFC 8017 B.2.1) with a hash AlgorithmIdentifier */
static int mgf_parse(struct rd *r, uint8_t *hash)
{
    struct rd seq, oid;
    if (der_get(r, DER_SEQUENCE, &seq) || der_get(&seq, DER_OID, &oid) || !rd_done(r))
        return KITE_E_MALFORMED;
    if (!span_is(rd_rest(&oid), oid_mgf1, sizeof oid_mgf1))
        return KITE_E_UNSUPPORTED;
    return hash_parse(&seq, hash);
}

/* RSASSA-PSS-params (RFC 4055 3.1): each field optional, in order, with the
 * defaults SHA-1, MGF1 with SHA-1, salt length 20, trailer field 1 */
static int pss_parse(struct rd *seq, struct sig_alg *out)
{
    struct rd p, f;
    uint16_t trailer = 1;
    int rc = 0;
    out->family = SIG_F_PSS;
    out->hash = out->mgf1_hash = SIG_HASH_SHA1;
    out->salt_len = 20;
    if (rd_left(seq) == 0) /* RFC 7427 A.4.1: parameters absent */
        return seq->err ? KITE_E_MALFORMED : 0;
    if (der_get(seq, DER_SEQUENCE, &p) || !rd_done(seq))
        return KITE_E_MALFORMED;
    if (der_peek(&p, DER_CTX0))
        rc = der_get(&p, DER_CTX0, &f) ? KITE_E_MALFORMED : hash_parse(&f, &out->hash);
    if (!rc && der_peek(&p, DER_CTX1))
        rc = der_get(&p, DER_CTX1, &f) ? KITE_E_MALFORMED : mgf_parse(&f, &out->mgf1_hash);
    if (!rc && der_peek(&p, DER_CTX2))
        rc = der_get(&p, DER_CTX2, &f) ? KITE_E_MALFORMED : uint_parse(&f, &out->salt_len);
    if (!rc && der_peek(&p, DER_CTX3))
        rc = der_get(&p, DER_CTX3, &f) ? KITE_E_MALFORMED : uint_parse(&f, &trailer);
    if (!rc && !rd_done(&p))
        rc = KITE_E_MALFORMED;
    if (!rc && trailer != 1) /* trailerFieldBC is the only one (RFC 4055 3.1) */
        rc = KITE_E_UNSUPPORTED;
    return rc;
}

int sig_alg_parse(struct span der, struct sig_alg *out)
{
    struct rd r, seq, oid;
    memset(out, 0, sizeof *out);
    rd_init(&r, der.p, der.n);
    if (der_get(&r, DER_SEQUENCE, &seq) || !rd_done(&r) || der_get(&seq, DER_OID, &oid))
        return KITE_E_MALFORMED;
    struct span o = rd_rest(&oid);
    if (span_is(o, oid_pss, sizeof oid_pss)) {
        int rc = pss_parse(&seq, out);
        if (rc)
            memset(out, 0, sizeof *out);
        return rc;
    }
    const struct oid_entry *e = oid_by_der(o);
    if (!e || e->family == SIG_F_NONE)
        return KITE_E_UNSUPPORTED;
    int rc = params_none(&seq);
    if (rc)
        return rc;
    out->family = (enum sig_family)e->family;
    out->hash = e->hash;
    return 0;
}

/* ---- writing --------------------------------------------------------- */

/* a tag and a one-byte length to fill in by der_end (nothing here reaches 128) */
static size_t der_begin(struct wr *w, uint8_t tag)
{
    wr_u8(w, tag);
    return wr_reserve(w, 1);
}

static int der_end(struct wr *w, size_t at)
{
    if (w->err)
        return w->err;
    size_t len = w->len - at - 1;
    if (len >= 0x80)
        return w->err = KITE_E_UNSUPPORTED;
    return wr_put_u8(w, at, (uint8_t)len);
}

/* SEQUENCE { OID, [NULL] } */
static int algid_write(struct wr *w, const struct oid_entry *e)
{
    size_t seq = der_begin(w, DER_SEQUENCE), oid = der_begin(w, DER_OID);
    wr_bytes(w, e->oid, e->len);
    der_end(w, oid);
    if (e->null_params)
        wr_u8(w, DER_NULL), wr_u8(w, 0);
    return der_end(w, seq);
}

/* INTEGER, minimal, of a non-negative value */
static int uint_write(struct wr *w, uint16_t v)
{
    size_t at = der_begin(w, DER_INTEGER);
    if (v >= 0x8000)
        wr_u8(w, 0); /* a leading zero keeps it positive (X.690 8.3) */
    if (v >= 0x80)
        wr_u8(w, (uint8_t)(v >> 8)); /* 0x00 for 0x80..0xff, for the same reason */
    wr_u8(w, (uint8_t)v);
    return der_end(w, at);
}

/* RSASSA-PSS with RSASSA-PSS-params, fields at their default left out
 * (DER; RFC 7427 A.4.3 for SHA-256: 67 bytes) */
static int pss_write(struct wr *w, const struct sig_alg *a)
{
    const struct oid_entry *h = oid_by_alg(SIG_F_NONE, a->hash);
    const struct oid_entry *m = oid_by_alg(SIG_F_NONE, a->mgf1_hash);
    if (!h || !m)
        return KITE_E_UNSUPPORTED;
    size_t seq = der_begin(w, DER_SEQUENCE), at = der_begin(w, DER_OID);
    wr_bytes(w, oid_pss, sizeof oid_pss);
    der_end(w, at);
    size_t params = der_begin(w, DER_SEQUENCE);
    if (a->hash != SIG_HASH_SHA1) {
        at = der_begin(w, DER_CTX0);
        algid_write(w, h);
        der_end(w, at);
    }
    if (a->mgf1_hash != SIG_HASH_SHA1) {
        size_t ctx = der_begin(w, DER_CTX1), mgf = der_begin(w, DER_SEQUENCE);
        at = der_begin(w, DER_OID);
        wr_bytes(w, oid_mgf1, sizeof oid_mgf1);
        der_end(w, at);
        algid_write(w, m);
        der_end(w, mgf);
        der_end(w, ctx);
    }
    if (a->salt_len != 20) {
        at = der_begin(w, DER_CTX2);
        uint_write(w, a->salt_len);
        der_end(w, at);
    }
    der_end(w, params);
    return der_end(w, seq);
}

int sig_alg_encode(const struct sig_alg *alg, struct wr *w)
{
    if (w->err)
        return w->err;
    if (alg->family == SIG_F_PSS)
        return pss_write(w, alg);
    const struct oid_entry *e = alg->family == SIG_F_NONE ? NULL : oid_by_alg(alg->family, alg->hash);
    if (!e)
        return KITE_E_UNSUPPORTED;
    return algid_write(w, e);
}
