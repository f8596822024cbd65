/* wire/msg: whole messages and payload chains (RFC 7296 3.1, 3.2) */
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "crypto/registry.h"
#include "wire/msg.h"
#include "wire_samples.h"

static struct ike_msg msg;     /* large: kept off the stack */
static struct ike_chain chain;

static uint8_t *hex(const char *h, size_t *n)
{
    return hex_decode(h, n);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int decode(const uint8_t *p, size_t n, struct diag *d)
{
    memset(d, 0, sizeof *d);
    return ike_msg_decode(span_of(p, n), &msg, d);
}

/* decode must succeed and encode must give back the same bytes */
static void assert_msg_roundtrip(const uint8_t *p, size_t n)
{
    struct diag d;
    uint8_t out[4096];
    struct wr w;
    int rc = decode(p, n, &d);
    if (rc)
        fail_msg("decode: %s at %s+%zu", kite_errname(rc), d.field, d.offset);
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_msg_encode(&msg, &w), 0);
    assert_int_equal(w.len, n);
    assert_bytes_equal(out, p, n);
}

static void assert_msg_fails(const uint8_t *p, size_t n, int err, const char *field)
{
    struct diag d;
    int rc = decode(p, n, &d);
    if (rc != err)
        fail_msg("want %s, got %s (%s+%zu)", kite_errname(err), kite_errname(rc),
                 d.field ? d.field : "-", d.offset);
    assert_int_equal(d.err, err);
    assert_non_null(d.field);
    if (field)
        assert_string_equal(d.field, field);
}

static void sa_init_request_decodes(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_SA_INIT_REQ, &n);
    struct diag d;
    assert_int_equal(decode(p, n, &d), 0);
    assert_true(msg.hdr.spi_i == 0x5a3c9e1f0b7d2468ULL);
    assert_true(msg.hdr.spi_r == 0);
    assert_int_equal(msg.hdr.exchange, IKEV2_EXCH_IKE_SA_INIT);
    assert_int_equal(msg.hdr.flags, IKE_FLAG_I);
    assert_false(ike_hdr_is_response(&msg.hdr));
    assert_int_equal(msg.hdr.length, n);
    assert_int_equal(msg.chain.n, 8);

    const struct ike_pld *sa = &msg.chain.pld[0];
    assert_int_equal(sa->type, IKEV2_PLD_SA);
    assert_int_equal(sa->offset, 28);
    assert_int_equal(sa->u.sa.n_prop, 1);
    const struct ike_proposal *pr = &sa->u.sa.prop[0];
    assert_int_equal(pr->num, 1);
    assert_int_equal(pr->proto, IKEV2_PROTO_IKE);
    assert_int_equal(pr->spi.n, 0);
    assert_int_equal(pr->n_xf, 3);
    assert_int_equal(pr->xf[0].type, XF_ENCR);
    assert_int_equal(pr->xf[0].id, ENCR_AES_GCM_16);
    assert_int_equal(pr->xf[0].key_length, 256);
    assert_int_equal(pr->xf[0].n_attrs, 1);
    assert_true(pr->xf[0].attrs[0].tv);
    assert_int_equal(pr->xf[1].type, XF_PRF);
    assert_int_equal(pr->xf[1].id, PRF_HMAC_SHA2_256);
    assert_int_equal(pr->xf[1].key_length, 0);
    assert_int_equal(pr->xf[2].type, XF_KE);
    assert_int_equal(pr->xf[2].id, KE_CURVE25519);

    const struct ike_pld *ke = ike_chain_find(&msg.chain, IKEV2_PLD_KE, 0);
    assert_non_null(ke);
    assert_int_equal(ke->u.ke.group, KE_CURVE25519);
    assert_int_equal(ke->u.ke.data.n, 32);
    assert_int_equal(ke->u.ke.data.p[0], 0x6b);
    const struct ike_pld *ni = ike_chain_find(&msg.chain, IKEV2_PLD_NONCE, 0);
    assert_int_equal(ni->u.nonce.data.n, 32);

    const struct ike_notify *nat = ike_chain_notify(&msg.chain, IKEV2_N_NAT_DETECTION_SOURCE_IP);
    assert_non_null(nat);
    assert_int_equal(nat->data.n, 20);
    assert_int_equal(nat->spi.n, 0);
    const struct ike_notify *sha = ike_chain_notify(&msg.chain, IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
    assert_non_null(sha);
    assert_int_equal(sha->data.n, 8);
    assert_non_null(ike_chain_notify(&msg.chain, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED));
    assert_non_null(ike_chain_notify(&msg.chain, IKEV2_N_REDIRECT_SUPPORTED));
    assert_null(ike_chain_notify(&msg.chain, IKEV2_N_COOKIE));
    assert_null(ike_chain_find(&msg.chain, IKEV2_PLD_NOTIFY, 5));
    assert_non_null(ike_chain_find(&msg.chain, IKEV2_PLD_NOTIFY, 4));
    free(p);
}

static void samples_roundtrip(void **state)
{
    (void)state;
    const char *samples[] = { SAMPLE_IKE_SA_INIT_REQ, SAMPLE_IKE_SA_INIT_RESP, SAMPLE_IKE_SA_INIT_INVALID_KE,
                              SAMPLE_IKE_AUTH_REQ_SK, SAMPLE_IKE_AUTH_REQ_SKF };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        size_t n;
        uint8_t *p = hex(samples[i], &n);
        assert_msg_roundtrip(p, n);
        free(p);
    }
}

static void sk_payload_exposes_first_inner_and_body(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_AUTH_REQ_SK, &n);
    struct diag d;
    assert_int_equal(decode(p, n, &d), 0);
    assert_int_equal(msg.chain.n, 1);
    const struct ike_pld *sk = &msg.chain.pld[0];
    assert_int_equal(sk->type, IKEV2_PLD_SK);
    assert_int_equal(sk->offset, 28);
    assert_int_equal(sk->u.sk.first, IKEV2_PLD_IDI);
    assert_int_equal(sk->u.sk.body.n, 64);
    assert_ptr_equal(sk->u.sk.body.p, p + 32);
    free(p);

    p = hex(SAMPLE_IKE_AUTH_REQ_SKF, &n);
    assert_int_equal(decode(p, n, &d), 0);
    const struct ike_skf *skf = &msg.chain.pld[0].u.skf;
    assert_int_equal(skf->first, IKEV2_PLD_IDI);
    assert_int_equal(skf->frag_num, 1);
    assert_int_equal(skf->frag_total, 2);
    assert_int_equal(skf->body.n, 8);
    free(p);
}

/* every proper prefix of a valid message must fail cleanly, whether or not
 * the header's length is adjusted to the prefix */
static void every_truncation_fails(void **state)
{
    (void)state;
    const char *samples[] = { SAMPLE_IKE_SA_INIT_REQ, SAMPLE_IKE_SA_INIT_RESP, SAMPLE_IKE_AUTH_REQ_SK,
                              SAMPLE_IKE_AUTH_REQ_SKF, SAMPLE_IKE_SA_INIT_INVALID_KE };
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        size_t n;
        uint8_t *p = hex(samples[s], &n);
        for (size_t k = 0; k < n; k++) {
            uint8_t *cut = malloc(k ? k : 1);
            struct diag d;
            memcpy(cut, p, k);
            int rc = decode(cut, k, &d);
            if (rc == 0 || d.field == NULL)
                fail_msg("prefix %zu of sample %zu: rc=%d", k, s, rc);
            if (k >= IKE_HDR_LEN) {
                put_be32(cut + 24, (uint32_t)k);
                rc = decode(cut, k, &d);
                if (rc == 0 || d.field == NULL)
                    fail_msg("prefix %zu (length patched) of sample %zu: rc=%d", k, s, rc);
            }
            free(cut);
        }
        free(p);
    }
    /* the same for an inner chain */
    const char *inner[] = { SAMPLE_IKE_AUTH_REQ_INNER, SAMPLE_INFO_INNER };
    const uint8_t first[] = { IKEV2_PLD_IDI, IKEV2_PLD_DELETE };
    for (size_t s = 0; s < 2; s++) {
        size_t n;
        uint8_t *p = hex(inner[s], &n);
        for (size_t k = 0; k < n; k++) {
            uint8_t *cut = malloc(k ? k : 1);
            struct diag d = { 0 };
            memcpy(cut, p, k);
            assert_true(ike_chain_decode(span_of(cut, k), first[s], &chain, &d) < 0);
            assert_non_null(d.field);
            free(cut);
        }
        free(p);
    }
}

static void header_rules(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_SA_INIT_REQ, &n);
    uint8_t *q = malloc(n + 8);
    struct diag d;

    /* major version 3: INVALID_MAJOR_VERSION */
    memcpy(q, p, n);
    q[17] = 0x30;
    assert_msg_fails(q, n, KITE_E_BAD_VERSION, "hdr.version");
    decode(q, n, &d);
    assert_int_equal(d.offset, 17);
    assert_int_equal(kite_err_notify(KITE_E_BAD_VERSION), IKEV2_N_INVALID_MAJOR_VERSION);
    q[17] = 0x10;
    assert_msg_fails(q, n, KITE_E_BAD_VERSION, "hdr.version");

    /* the minor version is ignored and kept */
    memcpy(q, p, n);
    q[17] = 0x21;
    assert_msg_roundtrip(q, n);
    assert_int_equal(msg.hdr.version, 0x21);

    /* reserved flag bits are ignored on receipt and kept for re-encode (3.1) */
    memcpy(q, p, n);
    q[19] = IKE_FLAG_I | 0x01 | 0x80 | 0x04;
    assert_msg_roundtrip(q, n);
    assert_int_equal(msg.hdr.flags & IKE_FLAG_I, IKE_FLAG_I);

    /* length field must equal the datagram length */
    memcpy(q, p, n);
    put_be32(q + 24, (uint32_t)n + 1);
    assert_msg_fails(q, n, KITE_E_BAD_LENGTH, "hdr.length");
    put_be32(q + 24, (uint32_t)n - 1);
    assert_msg_fails(q, n, KITE_E_BAD_LENGTH, "hdr.length");
    /* and be at least 28 */
    memcpy(q, p, IKE_HDR_LEN);
    q[16] = 0;
    put_be32(q + 24, 20);
    assert_msg_fails(q, IKE_HDR_LEN, KITE_E_BAD_LENGTH, "hdr.length");
    assert_msg_fails(q, 27, KITE_E_TRUNCATED, "hdr");

    /* a header with no payloads at all is well formed */
    put_be32(q + 24, IKE_HDR_LEN);
    assert_msg_roundtrip(q, IKE_HDR_LEN);
    assert_int_equal(msg.chain.n, 0);

    /* bytes after the last payload */
    memcpy(q, p, n);
    memset(q + n, 0, 8);
    put_be32(q + 24, (uint32_t)n + 8);
    assert_msg_fails(q, n + 8, KITE_E_TRAILING, "payload.chain");
    free(q);
    free(p);
}

static void payload_header_rules(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_SA_INIT_REQ, &n);
    uint8_t *q = malloc(n);
    struct diag d;

    /* reserved bits of the generic payload header */
    memcpy(q, p, n);
    q[28 + 1] = 0x01;
    assert_msg_fails(q, n, KITE_E_RESERVED, "payload.reserved");
    decode(q, n, &d);
    assert_int_equal(d.offset, 29);

    /* the critical bit on a known payload is kept, not an error */
    memcpy(q, p, n);
    q[28 + 1] = 0x80;
    assert_msg_roundtrip(q, n);
    assert_true(msg.chain.pld[0].critical);

    /* payload length below 4 */
    memcpy(q, p, n);
    q[28 + 2] = 0;
    q[28 + 3] = 3;
    assert_msg_fails(q, n, KITE_E_BAD_LENGTH, "payload.length");
    /* payload length beyond the message */
    memcpy(q, p, n);
    q[68 + 2] = 0xff;
    q[68 + 3] = 0xff;
    assert_msg_fails(q, n, KITE_E_BAD_LENGTH, "payload.length");
    decode(q, n, &d);
    assert_int_equal(d.offset, 68);
    /* a payload length that cuts into the next payload: the next header is garbage */
    memcpy(q, p, n);
    q[68 + 3] = 0x27; /* KE 40 -> 39 */
    assert_true(decode(q, n, &d) < 0);
    free(q);
    free(p);
}

/* the last Notify (offset 224) becomes an unknown type 49 (its type is named by
 * the Next Payload field of the payload before it, at 208) */
static void unknown_payloads(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_SA_INIT_REQ, &n);
    struct diag d;
    p[208] = 49;
    assert_msg_roundtrip(p, n);
    assert_int_equal(msg.chain.n, 8);
    assert_true(msg.chain.pld[7].unknown);
    assert_int_equal(msg.chain.pld[7].type, 49);
    assert_int_equal(msg.chain.pld[7].u.raw.body.n, 4);
    assert_null(ike_chain_find(&msg.chain, 49, 0));

    /* with the critical bit: the message is rejected, naming the type */
    p[224 + 1] = 0x80;
    assert_msg_fails(p, n, KITE_E_CRITICAL, "payload.type");
    assert_int_equal(msg.chain.critical_type, 49);
    decode(p, n, &d);
    assert_int_equal(d.offset, 224);
    assert_int_equal(kite_err_notify(KITE_E_CRITICAL), IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);

    /* an IKEv1 payload number is unknown too */
    p[224 + 1] = 0;
    p[208] = 1;
    assert_msg_roundtrip(p, n);
    assert_true(msg.chain.pld[7].unknown);
    free(p);
}

static void sk_must_be_last(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_AUTH_REQ_SK, &n);
    uint8_t *q = calloc(1, n + 8);
    memcpy(q, p, n);
    /* 8 more bytes (an empty-ish N) after the SK payload */
    q[n + 3] = 8;
    put_be32(q + 24, (uint32_t)n + 8);
    assert_msg_fails(q, n + 8, KITE_E_MALFORMED, "SK.position");
    /* and SK is refused inside an inner chain */
    struct diag d = { 0 };
    assert_int_equal(ike_chain_decode(span_of(p + 28, n - 28), IKEV2_PLD_SK, &chain, &d), KITE_E_UNEXPECTED);
    assert_string_equal(d.field, "payload.type");
    free(q);
    free(p);
}

static void too_many_payloads(void **state)
{
    (void)state;
    uint8_t buf[IKE_HDR_LEN + 4 * (IKE_MAX_PAYLOADS + 1)];
    for (size_t count = IKE_MAX_PAYLOADS; count <= IKE_MAX_PAYLOADS + 1; count++) {
        size_t n = IKE_HDR_LEN + 4 * count;
        memset(buf, 0, sizeof buf);
        buf[16] = IKEV2_PLD_VENDOR;
        buf[17] = IKE_VERSION_2_0;
        buf[18] = IKEV2_EXCH_INFORMATIONAL;
        put_be32(buf + 24, (uint32_t)n);
        for (size_t i = 0; i < count; i++) {
            uint8_t *v = buf + IKE_HDR_LEN + 4 * i;
            v[0] = i + 1 < count ? IKEV2_PLD_VENDOR : 0;
            v[3] = 4; /* an empty Vendor ID */
        }
        if (count == IKE_MAX_PAYLOADS)
            assert_msg_roundtrip(buf, n);
        else
            assert_msg_fails(buf, n, KITE_E_TOO_MANY, "payload.count");
    }
}

static void inner_chain_decodes(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex(SAMPLE_IKE_AUTH_REQ_INNER, &n);
    struct diag d = { 0 };
    assert_int_equal(ike_chain_decode(span_of(p, n), IKEV2_PLD_IDI, &chain, &d), 0);
    assert_int_equal(chain.n, 9);
    const struct ike_id *id = &chain.pld[0].u.id;
    assert_int_equal(id->type, IKEV2_ID_FQDN);
    assert_int_equal(id->data.n, 19);
    assert_memory_equal(id->data.p, "moon.strongswan.org", 19);
    assert_int_equal(chain.pld[1].u.cert.encoding, IKEV2_CERT_X509_SIG);
    assert_int_equal(chain.pld[1].u.cert.data.n, 8);
    assert_int_equal(chain.pld[2].type, IKEV2_PLD_CERTREQ);
    assert_int_equal(chain.pld[2].u.cert.data.n, 20);
    assert_int_equal(chain.pld[3].u.auth.method, IKEV2_AUTH_SHARED_KEY_MIC);
    assert_int_equal(chain.pld[3].u.auth.data.n, 32);
    assert_int_equal(chain.pld[4].u.notify.type, IKEV2_N_INITIAL_CONTACT);
    const struct ike_cp *cp = &chain.pld[5].u.cp;
    assert_int_equal(cp->type, IKEV2_CFG_REQUEST);
    assert_int_equal(cp->n, 2);
    assert_int_equal(cp->attrs[0].type, IKEV2_CFGA_INTERNAL_IP4_ADDRESS);
    assert_int_equal(cp->attrs[1].type, IKEV2_CFGA_INTERNAL_IP4_DNS);
    assert_int_equal(cp->attrs[1].value.n, 0);
    const struct ike_proposal *pr = &chain.pld[6].u.sa.prop[0];
    assert_int_equal(pr->proto, IKEV2_PROTO_ESP);
    assert_int_equal(pr->spi.n, 4);
    assert_int_equal(pr->spi.p[0], 0xc1);
    assert_int_equal(pr->n_xf, 2);
    assert_int_equal(pr->xf[1].type, XF_ESN);
    const struct ike_ts *tsi = &chain.pld[7].u.ts, *tsr = &chain.pld[8].u.ts;
    assert_int_equal(tsi->n, 1);
    assert_int_equal(tsi->sel[0].type, IKEV2_TS_IPV4_ADDR_RANGE);
    assert_int_equal(tsi->sel[0].end_port, 65535);
    assert_int_equal(tsr->n, 2);
    assert_int_equal(tsr->sel[0].ip_proto, 6);
    assert_int_equal(tsr->sel[0].start_port, 443);
    assert_int_equal(tsr->sel[0].start.p[0], 10);
    assert_int_equal(tsr->sel[1].type, IKEV2_TS_IPV6_ADDR_RANGE);
    assert_int_equal(tsr->sel[1].start.n, 16);
    assert_int_equal(chain.pld[8].offset, n - 64);

    uint8_t out[1024];
    struct wr w;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_chain_encode(&chain, &w), 0);
    assert_int_equal(w.len, n);
    assert_bytes_equal(out, p, n);
    free(p);

    p = hex(SAMPLE_INFO_INNER, &n);
    assert_int_equal(ike_chain_decode(span_of(p, n), IKEV2_PLD_DELETE, &chain, &d), 0);
    assert_int_equal(chain.n, 5);
    assert_int_equal(chain.pld[0].u.del.count, 2);
    assert_int_equal(ike_delete_spi(&chain.pld[0].u.del, 1), 0xd1d2d3d4);
    assert_int_equal(ike_delete_spi(&chain.pld[0].u.del, 2), 0);
    assert_int_equal(chain.pld[1].u.del.proto, IKEV2_PROTO_IKE);
    assert_int_equal(chain.pld[3].u.vendor.data.n, 8);
    assert_int_equal(chain.pld[4].u.eap.code, EAP_CODE_SUCCESS);
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_chain_encode(&chain, &w), 0);
    assert_int_equal(w.len, n);
    assert_bytes_equal(out, p, n);
    free(p);

    /* an empty chain (an INFORMATIONAL liveness check) */
    assert_int_equal(ike_chain_decode(span_of(NULL, 0), IKEV2_PLD_NONE, &chain, &d), 0);
    assert_int_equal(chain.n, 0);
}

/* build the sample IKE_SA_INIT request from structs, without decoding it */
static void encodes_from_structs(void **state)
{
    (void)state;
    size_t n;
    uint8_t *want = hex(SAMPLE_IKE_SA_INIT_REQ, &n);
    static const uint8_t ke[32] = { 0x6b, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96,
                                    0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b,
                                    0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1 };
    static const struct ike_transform xf[] = {
        { .type = XF_ENCR, .id = ENCR_AES_GCM_16, .key_length = 256 },
        { .type = XF_PRF, .id = PRF_HMAC_SHA2_256 },
        { .type = XF_KE, .id = KE_CURVE25519 },
    };
    static const struct ike_proposal prop = { .num = 1, .proto = IKEV2_PROTO_IKE, .n_xf = 3, .xf = xf };
    static const uint8_t sha[] = { 0, 2, 0, 3, 0, 4, 0, 5 };
    static struct ike_msg m;
    memset(&m, 0, sizeof m);
    m.hdr.spi_i = 0x5a3c9e1f0b7d2468ULL;
    m.hdr.version = IKE_VERSION_2_0;
    m.hdr.exchange = IKEV2_EXCH_IKE_SA_INIT;
    m.hdr.flags = IKE_FLAG_I;
    struct ike_pld *pl = m.chain.pld;
    pl[0].type = IKEV2_PLD_SA;
    pl[0].u.sa = (struct ike_sa){ 1, &prop };
    pl[1].type = IKEV2_PLD_KE;
    pl[1].u.ke = (struct ike_ke){ KE_CURVE25519, span_of(ke, sizeof ke) };
    pl[2].type = IKEV2_PLD_NONCE;
    pl[2].u.nonce.data = span_of(want + 112, 32);
    pl[3].type = IKEV2_PLD_NOTIFY;
    pl[3].u.notify = (struct ike_notify){ .type = IKEV2_N_NAT_DETECTION_SOURCE_IP, .data = span_of(want + 152, 20) };
    pl[4].type = IKEV2_PLD_NOTIFY;
    pl[4].u.notify = (struct ike_notify){ .type = IKEV2_N_NAT_DETECTION_DESTINATION_IP, .data = span_of(want + 180, 20) };
    pl[5].type = IKEV2_PLD_NOTIFY;
    pl[5].u.notify.type = IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED;
    pl[6].type = IKEV2_PLD_NOTIFY;
    pl[6].u.notify = (struct ike_notify){ .type = IKEV2_N_SIGNATURE_HASH_ALGORITHMS, .data = span_of(sha, sizeof sha) };
    pl[7].type = IKEV2_PLD_NOTIFY;
    pl[7].u.notify.type = IKEV2_N_REDIRECT_SUPPORTED;
    m.chain.n = 8;

    uint8_t out[512];
    struct wr w;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_msg_encode(&m, &w), 0);
    assert_int_equal(w.len, n);
    assert_bytes_equal(out, want, n);

    /* a buffer too small fails, sticky, without writing past its end */
    wr_init(&w, out, 100);
    assert_int_equal(ike_msg_encode(&m, &w), KITE_E_NO_SPACE);
    /* SK anywhere but last cannot be encoded */
    pl[8] = pl[7];
    pl[7].type = IKEV2_PLD_SK;
    m.chain.n = 9;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_msg_encode(&m, &w), KITE_E_INVALID_ARG);
    free(want);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(ike_notify_name(IKEV2_N_SIGNATURE_HASH_ALGORITHMS), "SIGNATURE_HASH_ALGORITHMS");
    assert_int_equal(IKEV2_N_SIGNATURE_HASH_ALGORITHMS, 16431);
    assert_int_equal(IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, 16430);
    assert_string_equal(ike_notify_name(14), "NO_PROPOSAL_CHOSEN");
    assert_string_equal(ike_notify_name(16390), "COOKIE");
    assert_string_equal(ike_notify_name(16418), "CHILDLESS_IKEV2_SUPPORTED");
    assert_null(ike_notify_name(2));
    assert_null(ike_notify_name(40000));
    assert_string_equal(ike_payload_name(IKEV2_PLD_SKF), "SKF");
    assert_string_equal(ike_payload_name(IKEV2_PLD_NOTIFY), "N");
    assert_null(ike_payload_name(49));
    assert_null(ike_payload_name(0));
    assert_null(ike_payload_name(255));
    assert_string_equal(ike_exchange_name(36), "CREATE_CHILD_SA");
    assert_null(ike_exchange_name(33));
    assert_string_equal(ike_proto_name(IKEV2_PROTO_ESP), "ESP");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sa_init_request_decodes),
        cmocka_unit_test(samples_roundtrip),
        cmocka_unit_test(sk_payload_exposes_first_inner_and_body),
        cmocka_unit_test(every_truncation_fails),
        cmocka_unit_test(header_rules),
        cmocka_unit_test(payload_header_rules),
        cmocka_unit_test(unknown_payloads),
        cmocka_unit_test(sk_must_be_last),
        cmocka_unit_test(too_many_payloads),
        cmocka_unit_test(inner_chain_decodes),
        cmocka_unit_test(encodes_from_structs),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
