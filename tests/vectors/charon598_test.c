/* Real strongSwan 5.9.8 messages (tests/vectors/charon598/README.md), checked
 * against what charon's own log says it generated:
 *  - every message decodes, passes the exchange's payload rules, and re-encodes
 *    byte for byte;
 *  - field by field, kite's decoded values (inside the SK payload too, opened
 *    with the keys charon logged) equal the values in X_expected.txt;
 *  - SKEYSEED and SK_* derived by kite from the logged shared secret and the
 *    captured nonces and SPIs equal charon's;
 *  - both PSK AUTH payloads verify (RFC 7296 2.15). */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/keys.h"
#include "crypto/prf.h"
#include "crypto/registry.h"
#include "wire/msg.h"
#include "wire/rules.h"
#include "wire/sk.h"

#define DIR "tests/vectors/charon598/"
#define MAX_LINES 256
#define PSK "interop-test-psk-0123456789"

/* the lines kite prints, compared with the expected file's */
struct dump {
    char *line[MAX_LINES];
    int n;
};

static void put(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct dump *d, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(d->n < MAX_LINES);
    d->line[d->n++] = strdup(buf);
}

static const char *hex(struct span s, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s.n && o + 3 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%02x", s.p[i]);
    return buf;
}

static void dump_free(struct dump *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->line[i]);
    d->n = 0;
}

static void dump_hdr(struct dump *d, const struct ike_hdr *h)
{
    put(d, "hdr.spi_i=%016llx", (unsigned long long)h->spi_i);
    put(d, "hdr.spi_r=%016llx", (unsigned long long)h->spi_r);
    put(d, "hdr.next=%u", h->next_payload);
    put(d, "hdr.version=%u.%u", h->version >> 4, h->version & 15);
    put(d, "hdr.exchange=%u", h->exchange);
    put(d, "hdr.flags=%u", h->flags);
    put(d, "hdr.msgid=%u", h->msg_id);
}

static void dump_sa(struct dump *d, const struct ike_sa *sa)
{
    char b[1024];
    put(d, "pld=SA");
    for (unsigned i = 0; i < sa->n_prop; i++) {
        const struct ike_proposal *p = &sa->prop[i];
        put(d, "prop.num=%u", p->num);
        put(d, "prop.proto=%u", p->proto);
        put(d, "prop.spi=%s", hex(p->spi, b, sizeof b));
        put(d, "prop.n_xf=%u", p->n_xf);
        for (unsigned j = 0; j < p->n_xf; j++) {
            put(d, "xf.type=%u", p->xf[j].type);
            put(d, "xf.id=%u", p->xf[j].id);
            for (unsigned k = 0; k < p->xf[j].n_attrs; k++) {
                put(d, "attr.type=%u", p->xf[j].attrs[k].type);
                put(d, "attr.tv=%d", p->xf[j].attrs[k].tv);
                put(d, "attr.value=%u", p->xf[j].attrs[k].value);
            }
        }
    }
}

static void dump_ts(struct dump *d, const char *name, const struct ike_ts *ts)
{
    char a[64], b[64];
    put(d, "pld=%s", name);
    put(d, "ts.count=%u", ts->n);
    for (unsigned i = 0; i < ts->n; i++) {
        const struct ike_ts_sel *s = &ts->sel[i];
        put(d, "ts.sel.type=%u", s->type);
        put(d, "ts.sel.proto=%u", s->ip_proto);
        put(d, "ts.sel.rest=%04x%04x%s%s", s->start_port, s->end_port, hex(s->start, a, sizeof a),
            hex(s->end, b, sizeof b));
    }
}

static void dump_pld(struct dump *d, const struct ike_pld *p)
{
    char b[2048];
    switch (p->type) {
    case IKEV2_PLD_SA: dump_sa(d, &p->u.sa); break;
    case IKEV2_PLD_KE:
        put(d, "pld=KE");
        put(d, "ke.group=%u", p->u.ke.group);
        put(d, "ke.data=%s", hex(p->u.ke.data, b, sizeof b));
        break;
    case IKEV2_PLD_NONCE:
        put(d, "pld=No");
        put(d, "nonce.data=%s", hex(p->u.nonce.data, b, sizeof b));
        break;
    case IKEV2_PLD_NOTIFY:
        put(d, "pld=N");
        put(d, "notify.proto=%u", p->u.notify.proto);
        put(d, "notify.type=%u", p->u.notify.type);
        put(d, "notify.spi=%s", hex(p->u.notify.spi, b, sizeof b));
        put(d, "notify.data=%s", hex(p->u.notify.data, b, sizeof b));
        break;
    case IKEV2_PLD_IDI:
    case IKEV2_PLD_IDR:
        put(d, "pld=%s", p->type == IKEV2_PLD_IDI ? "IDi" : "IDr");
        put(d, "id.type=%u", p->u.id.type);
        put(d, "id.data=%s", hex(p->u.id.data, b, sizeof b));
        break;
    case IKEV2_PLD_AUTH:
        put(d, "pld=AUTH");
        put(d, "auth.method=%u", p->u.auth.method);
        put(d, "auth.data=%s", hex(p->u.auth.data, b, sizeof b));
        break;
    case IKEV2_PLD_TSI: dump_ts(d, "TSi", &p->u.ts); break;
    case IKEV2_PLD_TSR: dump_ts(d, "TSr", &p->u.ts); break;
    case IKEV2_PLD_SK: break; /* its contents are dumped after decryption */
    default: put(d, "pld=unexpected-%u", p->type); break;
    }
}

static void dump_chain(struct dump *d, const struct ike_chain *c)
{
    for (unsigned i = 0; i < c->n; i++)
        dump_pld(d, &c->pld[i]);
}

/* ---- the expected file ---- */

struct expected {
    char *text;
    char *keys; /* start of the [keys X] section */
};

/* lines of section "[message NAME]" (comments skipped) into d */
static void expected_message(const struct expected *e, const char *name, struct dump *d)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "[message %s]\n", name);
    const char *p = strstr(e->text, hdr);
    assert_non_null(p);
    p += strlen(hdr);
    while (*p && *p != '[') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (*p != '#' && len) {
            char buf[2048];
            assert_true(len < sizeof buf);
            memcpy(buf, p, len);
            buf[len] = 0;
            put(d, "%s", buf);
        }
        p += len + (nl ? 1 : 0);
    }
}

/* a hex value "key=..." of the [keys] section; NULL span if absent */
static struct span expected_key(const struct expected *e, const char *key, uint8_t **owned)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s=", key);
    const char *p = strstr(e->keys, pat);
    *owned = NULL;
    if (!p)
        return span_of(NULL, 0);
    p += strlen(pat);
    const char *nl = strchr(p, '\n');
    char *h = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
    size_t n;
    *owned = hex_decode(h, &n);
    free(h);
    return span_of(*owned, n);
}

static void compare(const struct dump *want, const struct dump *got, const char *name)
{
    int n = want->n < got->n ? want->n : got->n;
    for (int i = 0; i < n; i++)
        if (strcmp(want->line[i], got->line[i]) != 0)
            fail_msg("%s line %d: charon logged '%s', kite decoded '%s'", name, i + 1, want->line[i],
                     got->line[i]);
    if (want->n != got->n)
        fail_msg("%s: charon logged %d lines, kite decoded %d", name, want->n, got->n);
}

/* ---- one capture ---- */

struct capture {
    const char *prefix;
    const char *names[8];
    struct expected exp;
    uint8_t *msg[8];
    size_t len[8];
    int n;
    const struct xf_info *encr, *integ;
    uint16_t prf_id;
    struct ike_keys keys;
};

static struct ike_msg *msg_decode(const uint8_t *p, size_t n)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    struct diag d = { 0 };
    assert_non_null(m);
    int rc = ike_msg_decode(span_of(p, n), m, &d);
    if (rc)
        fail_msg("decode: %s at %s (offset %zu)", kite_errname(rc), d.field ? d.field : "?", d.offset);
    rc = ike_rules_check_msg(m, &d);
    if (rc)
        fail_msg("rules: %s at %s", kite_errname(rc), d.field ? d.field : "?");
    return m;
}

static void load_capture(struct capture *c)
{
    char path[256];
    snprintf(path, sizeof path, DIR "%s_expected.txt", c->prefix);
    c->exp.text = read_source_file(path, NULL);
    char kh[32];
    snprintf(kh, sizeof kh, "[keys %s]", c->prefix);
    c->exp.keys = strstr(c->exp.text, kh);
    assert_non_null(c->exp.keys);
    for (c->n = 0; c->names[c->n]; c->n++) {
        snprintf(path, sizeof path, DIR "%s.hex", c->names[c->n]);
        char *h = read_source_file(path, NULL);
        c->msg[c->n] = hex_decode(h, &c->len[c->n]);
        free(h);
    }
}

static void free_capture(struct capture *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->msg[i]);
    free(c->exp.text);
    keys_ike_free(&c->keys);
}

/* the transforms of the IKE_SA_INIT response's (single) proposal */
static void negotiated(struct capture *c)
{
    struct ike_msg *m = msg_decode(c->msg[1], c->len[1]);
    const struct ike_pld *sa = ike_chain_find(&m->chain, IKEV2_PLD_SA, 0);
    assert_non_null(sa);
    assert_int_equal(sa->u.sa.n_prop, 1);
    const struct ike_proposal *p = &sa->u.sa.prop[0];
    c->integ = NULL;
    for (unsigned i = 0; i < p->n_xf; i++) {
        const struct ike_transform *x = &p->xf[i];
        if (x->type == XF_ENCR)
            c->encr = xf_lookup(XF_ENCR, x->id, x->key_length);
        else if (x->type == XF_INTEG)
            c->integ = xf_lookup(XF_INTEG, x->id, 0);
        else if (x->type == XF_PRF)
            c->prf_id = x->id;
    }
    assert_non_null(c->encr);
    free(m);
}

static struct span nonce_of(const uint8_t *msg, size_t len, struct ike_msg **keep)
{
    *keep = msg_decode(msg, len);
    const struct ike_pld *n = ike_chain_find(&(*keep)->chain, IKEV2_PLD_NONCE, 0);
    assert_non_null(n);
    return n->u.nonce.data;
}

/* SKEYSEED and SK_* from charon's shared secret and the captured messages */
static void check_keys(struct capture *c)
{
    struct ike_msg *m1, *m2;
    struct span ni = nonce_of(c->msg[0], c->len[0], &m1), nr = nonce_of(c->msg[1], c->len[1], &m2);
    uint8_t *gir_b, *want_b;
    struct span gir = expected_key(&c->exp, "g_ir", &gir_b);
    assert_non_null(gir_b);
    struct prf prf;
    assert_int_equal(prf_init(&prf, c->prf_id), 0);
    struct secret skeyseed;
    assert_int_equal(keys_skeyseed(&prf, ni, nr, gir, &skeyseed), 0);
    struct span want = expected_key(&c->exp, "skeyseed", &want_b);
    assert_int_equal(skeyseed.n, want.n);
    assert_bytes_equal(skeyseed.p, want.p, want.n);
    free(want_b);
    assert_int_equal(keys_ike_sa(&prf, secret_span(&skeyseed), ni, nr, span_of(c->msg[0], 8),
                                 span_of(c->msg[1] + 8, 8), c->encr, c->integ, &c->keys),
                     0);
    const struct { const char *name; const struct secret *s; } ks[] = {
        { "sk_d", &c->keys.sk_d },   { "sk_ei", &c->keys.sk_ei }, { "sk_er", &c->keys.sk_er },
        { "sk_ai", &c->keys.sk_ai }, { "sk_ar", &c->keys.sk_ar }, { "sk_pi", &c->keys.sk_pi },
        { "sk_pr", &c->keys.sk_pr },
    };
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        want = expected_key(&c->exp, ks[i].name, &want_b);
        if (!want_b) { /* AEAD suites have no SK_a */
            assert_int_equal(ks[i].s->n, 0);
            continue;
        }
        assert_int_equal(ks[i].s->n, want.n);
        assert_bytes_equal(ks[i].s->p, want.p, want.n);
        free(want_b);
    }
    secret_free(&skeyseed);
    prf_free(&prf);
    free(gir_b);
    free(m1);
    free(m2);
}

/* decode message i, compare its fields with charon's, re-encode it */
static void check_message(struct capture *c, int i)
{
    struct ike_msg *m = msg_decode(c->msg[i], c->len[i]);
    struct dump got = { 0 }, want = { 0 };
    dump_hdr(&got, &m->hdr);
    dump_chain(&got, &m->chain);

    const struct ike_pld *sk = ike_chain_find(&m->chain, IKEV2_PLD_SK, 0);
    if (sk) {
        bool from_initiator = (m->hdr.flags & IKE_FLAG_I) != 0;
        const struct secret *e = from_initiator ? &c->keys.sk_ei : &c->keys.sk_er;
        const struct secret *a = from_initiator ? &c->keys.sk_ai : &c->keys.sk_ar;
        struct sk_keys k;
        assert_int_equal(sk_keys_init(&k, c->encr, c->integ, secret_span(e), secret_span(a), false), 0);
        uint8_t plain[2048];
        size_t plen;
        struct diag d = { 0 };
        assert_int_equal(sk_decrypt(&k, span_of(c->msg[i], c->len[i]), sk->offset, SK_HDR_LEN, plain,
                                    sizeof plain, &plen, &d),
                         0);
        struct ike_chain *inner = calloc(1, sizeof *inner);
        assert_non_null(inner);
        assert_int_equal(ike_chain_decode(span_of(plain, plen), sk->u.sk.first, inner, &d), 0);
        assert_int_equal(ike_rules_check_inner(m->hdr.exchange, ike_hdr_is_response(&m->hdr), inner, &d), 0);
        dump_chain(&got, inner);
        /* the plaintext chain re-encodes byte for byte too */
        uint8_t re[2048];
        struct wr w;
        wr_init(&w, re, sizeof re);
        assert_int_equal(ike_chain_encode(inner, &w), 0);
        assert_int_equal(w.len, plen);
        assert_bytes_equal(re, plain, plen);
        free(inner);
        sk_keys_free(&k);
    }
    expected_message(&c->exp, c->names[i], &want);
    compare(&want, &got, c->names[i]);

    uint8_t out[4096];
    struct wr w;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_msg_encode(m, &w), 0);
    assert_int_equal(w.len, c->len[i]);
    assert_bytes_equal(out, c->msg[i], c->len[i]);
    dump_free(&got);
    dump_free(&want);
    free(m);
}

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <msg> | Nonce(peer) | prf(SK_p, ID')) */
static void check_psk_auth(struct capture *c, bool initiator)
{
    int own = initiator ? 0 : 1, peer = initiator ? 1 : 0, auth_msg = initiator ? 2 : 3;
    struct ike_msg *mp;
    struct span peer_nonce = nonce_of(c->msg[peer], c->len[peer], &mp);
    /* the AUTH and ID payloads, from the decrypted IKE_AUTH message */
    struct ike_msg *m = msg_decode(c->msg[auth_msg], c->len[auth_msg]);
    const struct ike_pld *sk = ike_chain_find(&m->chain, IKEV2_PLD_SK, 0);
    struct sk_keys k;
    const struct secret *e = initiator ? &c->keys.sk_ei : &c->keys.sk_er;
    const struct secret *a = initiator ? &c->keys.sk_ai : &c->keys.sk_ar;
    assert_int_equal(sk_keys_init(&k, c->encr, c->integ, secret_span(e), secret_span(a), false), 0);
    uint8_t plain[2048];
    size_t plen;
    assert_int_equal(sk_decrypt(&k, span_of(c->msg[auth_msg], c->len[auth_msg]), sk->offset, SK_HDR_LEN,
                                plain, sizeof plain, &plen, NULL),
                     0);
    struct ike_chain *inner = calloc(1, sizeof *inner);
    assert_int_equal(ike_chain_decode(span_of(plain, plen), sk->u.sk.first, inner, NULL), 0);
    const struct ike_pld *id = ike_chain_find(inner, initiator ? IKEV2_PLD_IDI : IKEV2_PLD_IDR, 0);
    const struct ike_pld *auth = ike_chain_find(inner, IKEV2_PLD_AUTH, 0);
    assert_non_null(id);
    assert_non_null(auth);
    assert_int_equal(auth->u.auth.method, 2); /* Shared Key Message Integrity Code */

    struct prf prf;
    assert_int_equal(prf_init(&prf, c->prf_id), 0);
    uint8_t maced_id[64], key[64], want[64];
    /* ID' is the ID payload body: type, three reserved bytes, data */
    struct span id_body = span_of(plain + id->offset + 4, 4 + id->u.id.data.n);
    const struct secret *skp = initiator ? &c->keys.sk_pi : &c->keys.sk_pr;
    assert_int_equal(prf_run(&prf, secret_span(skp), &id_body, 1, maced_id), 0);
    struct span pad = span_of("Key Pad for IKEv2", 17);
    assert_int_equal(prf_run(&prf, span_of(PSK, strlen(PSK)), &pad, 1, key), 0);
    struct span octets[3] = { span_of(c->msg[own], c->len[own]), peer_nonce,
                              span_of(maced_id, prf_out_len(&prf)) };
    assert_int_equal(prf_run(&prf, span_of(key, prf_out_len(&prf)), octets, 3, want), 0);
    assert_int_equal(auth->u.auth.data.n, prf_out_len(&prf));
    assert_bytes_equal(auth->u.auth.data.p, want, prf_out_len(&prf));
    /* and a wrong PSK would not verify */
    assert_int_equal(prf_run(&prf, span_of("wrong", 5), &pad, 1, key), 0);
    assert_int_equal(prf_run(&prf, span_of(key, prf_out_len(&prf)), octets, 3, want), 0);
    assert_false(ct_equal(auth->u.auth.data.p, want, prf_out_len(&prf)));
    prf_free(&prf);
    sk_keys_free(&k);
    free(inner);
    free(m);
    free(mp);
}

static void run_capture(struct capture *c)
{
    load_capture(c);
    negotiated(c);
    check_keys(c);
    for (int i = 0; i < c->n; i++)
        check_message(c, i);
    check_psk_auth(c, true);
    check_psk_auth(c, false);
    free_capture(c);
}

static void capture_a_aead(void **state)
{
    (void)state;
    struct capture c = { .prefix = "A",
                         .names = { "A_01_ike_sa_init_req", "A_02_ike_sa_init_resp", "A_03_ike_auth_req",
                                    "A_04_ike_auth_resp", "A_05_informational_req",
                                    "A_06_informational_resp", NULL } };
    run_capture(&c);
}

static void capture_b_cbc_hmac(void **state)
{
    (void)state;
    struct capture c = { .prefix = "B",
                         .names = { "B_01_ike_sa_init_req", "B_02_ike_sa_init_resp", "B_03_ike_auth_req",
                                    "B_04_ike_auth_resp", "B_05_informational_req",
                                    "B_06_informational_resp", NULL } };
    run_capture(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capture_a_aead),
        cmocka_unit_test(capture_b_cbc_hmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
