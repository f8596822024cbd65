/* ike/eap_tls: EAP-TLS framing (RFC 5216 2.1.5, 3.1) — fragmentation and
 * reassembly, the L flag, bad lengths, the reassembly cap, acks and Start —
 * and the method's two state machines against each other (the certificates
 * of tests/exchange/data/pki): the same MSK on both sides, out-of-order and
 * malformed packets refused. */
#include "testutil.h"
#include "ike/eap_tls.h"
#include "wire/ike.h"
#include <openssl/pem.h>
#include <string.h>

/* ---- framing ---- */

static uint8_t msg[3000];

static void fill(void)
{
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
}

/* a 3000-byte message in 200-byte EAP packets: L and the length on the
 * first only, M on all but the last, each at most 195 bytes of type data */
static void fragments_round_trip(void **s)
{
    (void)s;
    fill();
    struct eap_tls_tx tx = { msg, sizeof msg, 0 };
    struct eap_tls_rx rx = { 0 };
    uint8_t out[EAPM_OUT_MAX];
    size_t n, k = 0;
    int rc = 0;
    while ((n = eap_tls_tx_next(&tx, 200, out, sizeof out)) != 0) {
        assert_true(n <= 195);
        if (k == 0) {
            assert_int_equal(out[0], EAPTLS_FLAG_L | EAPTLS_FLAG_M);
            assert_int_equal(out[1] << 24 | out[2] << 16 | out[3] << 8 | out[4], 3000);
        } else {
            assert_int_equal(out[0], eap_tls_tx_pending(&tx) ? EAPTLS_FLAG_M : 0);
        }
        rc = eap_tls_rx_feed(&rx, out, n);
        assert_int_equal(rc, eap_tls_tx_pending(&tx) ? EAPTLS_RX_MORE : EAPTLS_RX_DONE);
        k++;
    }
    assert_int_equal(k, 16); /* 190 + 15 * 194 >= 3000 */
    assert_int_equal(rx.len, sizeof msg);
    assert_memory_equal(rx.buf, msg, sizeof msg);
    eap_tls_rx_reset(&rx);
}

/* a message that fits goes whole, without L; with L (charon's
 * include_length) it is taken when the length is the data's */
static void whole_message_and_the_l_flag(void **s)
{
    (void)s;
    struct eap_tls_tx tx = { (uint8_t *)"hello", 5, 0 };
    struct eap_tls_rx rx = { 0 };
    uint8_t out[64];
    assert_int_equal(eap_tls_tx_next(&tx, 1024, out, sizeof out), 6);
    assert_int_equal(out[0], 0);
    assert_int_equal(eap_tls_rx_feed(&rx, out, 6), EAPTLS_RX_DONE);
    assert_int_equal(rx.len, 5);
    const uint8_t with_l[] = { EAPTLS_FLAG_L, 0, 0, 0, 3, 'a', 'b', 'c' };
    assert_int_equal(eap_tls_rx_feed(&rx, with_l, sizeof with_l), EAPTLS_RX_DONE);
    assert_int_equal(rx.len, 3);
    assert_memory_equal(rx.buf, "abc", 3);
    const uint8_t wrong_l[] = { EAPTLS_FLAG_L, 0, 0, 0, 4, 'a', 'b', 'c' };
    assert_int_equal(eap_tls_rx_feed(&rx, wrong_l, sizeof wrong_l), KITE_E_BAD_LENGTH);
    assert_int_equal(rx.len, 0);
    eap_tls_rx_reset(&rx);
}

static int feed2(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    struct eap_tls_rx rx = { 0 };
    int rc = eap_tls_rx_feed(&rx, a, na);
    if (rc == EAPTLS_RX_MORE && b)
        rc = eap_tls_rx_feed(&rx, b, nb);
    bool clean = rc > 0 || (rx.len == 0 && !rx.open && !rx.buf);
    eap_tls_rx_reset(&rx);
    return clean ? rc : 99;
}

/* every length that disagrees is refused, and nothing is kept of it */
static void bad_lengths(void **s)
{
    (void)s;
    const uint8_t m_no_l[] = { EAPTLS_FLAG_M, 1, 2, 3 };
    const uint8_t l_short[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 2, 1, 2, 3 }; /* announces less than it holds */
    const uint8_t l_same[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 3, 1, 2, 3 };  /* M, yet all of it is here */
    const uint8_t first[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 6, 1, 2, 3 };
    const uint8_t past[] = { 0, 4, 5, 6, 7 };               /* one byte past the 6 announced */
    const uint8_t short_last[] = { 0, 4, 5 };               /* the last, one byte short */
    const uint8_t more_but_full[] = { EAPTLS_FLAG_M, 4, 5, 6 };
    const uint8_t l_changed[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 9, 4 };
    const uint8_t trunc_l[] = { EAPTLS_FLAG_L, 0, 0 };
    assert_int_equal(feed2(m_no_l, sizeof m_no_l, NULL, 0), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(l_short, sizeof l_short, NULL, 0), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(l_same, sizeof l_same, NULL, 0), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(first, sizeof first, past, sizeof past), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(first, sizeof first, short_last, sizeof short_last), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(first, sizeof first, more_but_full, sizeof more_but_full), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(first, sizeof first, l_changed, sizeof l_changed), KITE_E_BAD_LENGTH);
    assert_int_equal(feed2(trunc_l, sizeof trunc_l, NULL, 0), KITE_E_TRUNCATED);
    assert_int_equal(feed2((const uint8_t *)"", 0, NULL, 0), KITE_E_TRUNCATED);
    const uint8_t rest[] = { 0, 4, 5, 6 };
    assert_int_equal(feed2(first, sizeof first, rest, sizeof rest), EAPTLS_RX_DONE);
}

/* a message announcing more than max_bytes is refused at its first
 * fragment; a whole one over it too */
static void reassembly_cap(void **s)
{
    (void)s;
    struct eap_tls_rx rx = { .max_bytes = 100 };
    const uint8_t big[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 101, 1 };
    const uint8_t fits[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 100, 1 };
    const uint8_t huge[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0xff, 0xff, 0xff, 0xff, 1 };
    assert_int_equal(eap_tls_rx_feed(&rx, big, sizeof big), KITE_E_LIMIT);
    assert_null(rx.buf);
    assert_int_equal(eap_tls_rx_feed(&rx, huge, sizeof huge), KITE_E_LIMIT);
    assert_int_equal(eap_tls_rx_feed(&rx, fits, sizeof fits), EAPTLS_RX_MORE);
    eap_tls_rx_reset(&rx);
    uint8_t whole[102] = { 0 };
    assert_int_equal(eap_tls_rx_feed(&rx, whole, sizeof whole), KITE_E_LIMIT);
    assert_int_equal(eap_tls_rx_feed(&rx, whole, sizeof whole - 1), EAPTLS_RX_DONE);
    eap_tls_rx_reset(&rx);
}

/* an empty packet is an ack, S a Start; S with data, or an ack while the
 * peer owes fragments, is malformed */
static void acks_and_start(void **s)
{
    (void)s;
    const uint8_t ack[] = { 0 }, start[] = { EAPTLS_FLAG_S }, start_data[] = { EAPTLS_FLAG_S, 0x16 };
    const uint8_t start_l[] = { EAPTLS_FLAG_S | EAPTLS_FLAG_L, 0, 0, 0, 0 };
    const uint8_t first[] = { EAPTLS_FLAG_L | EAPTLS_FLAG_M, 0, 0, 0, 6, 1, 2, 3 };
    assert_int_equal(feed2(ack, 1, NULL, 0), EAPTLS_RX_ACK);
    assert_int_equal(feed2(start, 1, NULL, 0), EAPTLS_RX_START);
    assert_int_equal(feed2(start_data, 2, NULL, 0), KITE_E_MALFORMED);
    assert_int_equal(feed2(start_l, sizeof start_l, NULL, 0), KITE_E_MALFORMED);
    assert_int_equal(feed2(first, sizeof first, ack, 1), KITE_E_MALFORMED);
    assert_int_equal(feed2(first, sizeof first, start, 1), KITE_E_MALFORMED);
}

/* ---- the method ---- */

static X509 *load_cert(const char *name)
{
    char path[128];
    size_t n;
    snprintf(path, sizeof path, "tests/exchange/data/pki/%s.pem", name);
    char *pem = read_source_file(path, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *load_key(const char *name)
{
    char path[128];
    size_t n;
    snprintf(path, sizeof path, "tests/exchange/data/pki/%s.key", name);
    char *pem = read_source_file(path, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    assert_non_null(k);
    return k;
}

/* the verify callback: counts, and refuses when told to */
struct judge {
    int calls;
    bool refuse;
};

static int judge(void *ctx, X509 *ee, STACK_OF(X509) *chain, const char **why)
{
    (void)ee, (void)chain;
    struct judge *j = ctx;
    j->calls++;
    *why = "refused by the test";
    return j->refuse ? -1 : 0;
}

struct duo {
    X509 *sc, *cc;
    EVP_PKEY *sk, *ck;
    struct judge js, jc;
    struct eap_tls *s, *c;
    struct eapm_out to_c, to_s;
};

static void duo_init(struct duo *d, size_t frag)
{
    memset(d, 0, sizeof *d);
    d->sc = load_cert("moon"), d->sk = load_key("moon");
    d->cc = load_cert("carol"), d->ck = load_key("carol");
    struct eap_tls_cfg sc = { .server = true, .cert = d->sc, .key = d->sk, .frag_size = frag, .verify = judge,
                              .verify_ctx = &d->js };
    struct eap_tls_cfg cc = { .cert = d->cc, .key = d->ck, .frag_size = frag, .verify = judge,
                              .verify_ctx = &d->jc };
    assert_int_equal(eap_tls_new(&sc, &d->s), 0);
    assert_int_equal(eap_tls_new(&cc, &d->c), 0);
    assert_int_equal(eap_tls_server_start(d->s, 7, &d->to_c), 0);
}

static void duo_free(struct duo *d)
{
    eap_tls_free(d->s);
    eap_tls_free(d->c);
    X509_free(d->sc), X509_free(d->cc);
    EVP_PKEY_free(d->sk), EVP_PKEY_free(d->ck);
}

static enum eapm_rc to_client(struct duo *d)
{
    return eap_tls_recv(d->c, d->to_c.code, d->to_c.id, d->to_c.type, d->to_c.data, d->to_c.len, &d->to_s);
}

static enum eapm_rc to_server(struct duo *d)
{
    return eap_tls_recv(d->s, d->to_s.code, d->to_s.id, d->to_s.type, d->to_s.data, d->to_s.len, &d->to_c);
}

/* packets back and forth until one side ends; the rounds (requests) taken */
static int duo_run(struct duo *d, enum eapm_rc *rs, enum eapm_rc *rc)
{
    int rounds = 0;
    *rs = *rc = EAPM_CONTINUE;
    while (rounds++ < 200) {
        if ((*rc = to_client(d)) != EAPM_CONTINUE || (*rs = to_server(d)) == EAPM_FAILURE)
            break;
        if (*rs == EAPM_SUCCESS) {
            rounds++;
            *rc = to_client(d); /* the Success */
            break;
        }
    }
    return rounds;
}

/* whole flights, then 100-byte packets: both end in success with the same
 * MSK, each having judged the other's certificate once */
static void handshake_same_msk(void **s)
{
    (void)s;
    size_t frags[] = { 1024, 100 };
    int rounds[2];
    for (int i = 0; i < 2; i++) {
        struct duo d;
        enum eapm_rc rs, rc;
        duo_init(&d, frags[i]);
        assert_int_equal(d.to_c.code, EAP_CODE_REQUEST);
        assert_int_equal(d.to_c.data[0], EAPTLS_FLAG_S);
        rounds[i] = duo_run(&d, &rs, &rc);
        assert_int_equal(rs, EAPM_SUCCESS);
        assert_int_equal(rc, EAPM_SUCCESS);
        assert_int_equal(d.js.calls, 1);
        assert_int_equal(d.jc.calls, 1);
        assert_memory_equal(eap_tls_msk(d.s), eap_tls_msk(d.c), EAPTLS_MSK_LEN);
        uint8_t zero[EAPTLS_MSK_LEN] = { 0 };
        assert_memory_not_equal(eap_tls_msk(d.s), zero, EAPTLS_MSK_LEN);
        duo_free(&d);
    }
    assert_int_equal(rounds[0], 4); /* Start, server flight, CCS+Finished, Success */
    if (rounds[1] < 15) /* the server flight (~700 bytes) alone takes 8 */
        fail_msg("100-byte packets took only %d rounds", rounds[1]);
}

/* the server refuses the client's certificate: EAP-Failure, no MSK */
static void client_certificate_refused(void **s)
{
    (void)s;
    struct duo d;
    enum eapm_rc rs, rc;
    duo_init(&d, 1024);
    d.js.refuse = true;
    duo_run(&d, &rs, &rc);
    assert_int_equal(rs, EAPM_FAILURE);
    assert_int_equal(d.to_c.code, EAP_CODE_FAILURE);
    assert_string_equal(eap_tls_why(d.s), "refused by the test");
    assert_int_equal(to_client(&d), EAPM_FAILURE);
    duo_free(&d);
}

/* out of order: the client answers a fragment with data instead of an ack,
 * sends a second Start, or gets Success before the handshake is done */
static void out_of_order(void **s)
{
    (void)s;
    struct duo d;
    duo_init(&d, 100);
    assert_int_equal(to_client(&d), EAPM_CONTINUE);  /* ClientHello, fragmented */
    assert_int_equal(to_server(&d), EAPM_CONTINUE);  /* server acks the first fragment */
    assert_int_equal(d.to_c.len, 1);
    /* instead of its next fragment, the client sends a Start: refused */
    d.to_s.data[0] = EAPTLS_FLAG_S;
    d.to_s.len = 1;
    assert_int_equal(to_server(&d), EAPM_FAILURE);
    assert_int_equal(d.to_c.code, EAP_CODE_FAILURE);
    duo_free(&d);

    duo_init(&d, 1024);
    assert_int_equal(to_client(&d), EAPM_CONTINUE);
    assert_int_equal(to_server(&d), EAPM_CONTINUE); /* the server's flight */
    d.to_c.code = EAP_CODE_SUCCESS, d.to_c.len = 0;
    assert_int_equal(to_client(&d), EAPM_FAILURE);
    assert_string_equal(eap_tls_why(d.c), "EAP-Success before the TLS handshake finished");
    duo_free(&d);

    duo_init(&d, 1024);
    assert_int_equal(to_client(&d), EAPM_CONTINUE);
    assert_int_equal(to_client(&d), EAPM_FAILURE); /* a second Start */
    duo_free(&d);

    duo_init(&d, 1024);
    assert_int_equal(to_client(&d), EAPM_CONTINUE);
    d.to_s.id++; /* a response to a request never sent */
    assert_int_equal(to_server(&d), EAPM_FAILURE);
    duo_free(&d);
}

/* garbage where TLS records should be: the handshake fails cleanly */
static void garbage_records(void **s)
{
    (void)s;
    struct duo d;
    duo_init(&d, 1024);
    assert_int_equal(to_client(&d), EAPM_CONTINUE);
    memset(d.to_s.data + 1, 0x41, d.to_s.len - 1);
    assert_int_equal(to_server(&d), EAPM_FAILURE);
    assert_non_null(strstr(eap_tls_why(d.s), "TLS handshake failed"));
    duo_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fragments_round_trip),
        cmocka_unit_test(whole_message_and_the_l_flag),
        cmocka_unit_test(bad_lengths),
        cmocka_unit_test(reassembly_cap),
        cmocka_unit_test(acks_and_start),
        cmocka_unit_test(handshake_same_msk),
        cmocka_unit_test(client_certificate_refused),
        cmocka_unit_test(out_of_order),
        cmocka_unit_test(garbage_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
