/* crypto/mschap against RFC 2759 9.2 and RFC 3079 3.5.3: the NT password
 * hash, the NT-Response, the authenticator response and the MSK's keys. */
#include "katfile.h"
#include "crypto/mschap.h"
#include "base/err.h"
#include <stdlib.h>

struct vec {
    const char *user, *password, *auth_response;
    uint8_t *ac, *pc, *hash, *nt, *send;
};

static void load(struct kat_file *f, struct kat_rec *r, struct vec *v)
{
    size_t n;
    kat_open(f, "tests/kat/data/mschapv2.txt");
    assert_true(kat_next(f, r));
    v->user = kat_get(r, "user"), v->password = kat_get(r, "password");
    v->auth_response = kat_get(r, "auth_response");
    v->ac = kat_hex(r, "auth_challenge", &n), v->pc = kat_hex(r, "peer_challenge", &n);
    v->hash = kat_hex(r, "password_hash", &n), v->nt = kat_hex(r, "nt_response", &n);
    v->send = kat_hex(r, "send_start_key", &n);
}

static void unload(struct kat_file *f, struct kat_rec *r, struct vec *v)
{
    free(v->ac), free(v->pc), free(v->hash), free(v->nt), free(v->send);
    kat_close(f, r);
}

static void rfc2759_example(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    struct vec v;
    load(&f, &r, &v);
    uint8_t h[MSCHAP_HASH_LEN], nt[MSCHAP_NT_RESPONSE_LEN];
    char ar[MSCHAP_AUTH_RESPONSE_LEN];
    assert_int_equal(mschap_nt_hash(v.password, strlen(v.password), h), 0);
    assert_bytes_equal(h, v.hash, sizeof h);
    assert_int_equal(mschap_nt_response(v.ac, v.pc, v.user, strlen(v.user), h, nt), 0);
    assert_bytes_equal(nt, v.nt, sizeof nt);
    assert_int_equal(mschap_auth_response(h, nt, v.pc, v.ac, v.user, strlen(v.user), ar), 0);
    assert_memory_equal(ar, v.auth_response, sizeof ar);
    unload(&f, &r, &v);
}

static void rfc3079_msk(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    struct vec v;
    load(&f, &r, &v);
    uint8_t msk[MSCHAP_MSK_LEN], zero[32] = { 0 };
    assert_int_equal(mschap_msk(v.hash, v.nt, msk), 0);
    /* RFC 3079's example derives the server's send key: the MSK's second half */
    assert_bytes_equal(msk + 16, v.send, 16);
    assert_memory_not_equal(msk, msk + 16, 16);   /* the other direction's key */
    assert_memory_not_equal(msk, zero, 16);
    assert_bytes_equal(msk + 32, zero, 32);       /* padded to 64 with zeros */
    unload(&f, &r, &v);
}

/* a wrong password, user or challenge changes the response */
static void sensitivity(void **state)
{
    (void)state;
    uint8_t ac[16] = { 1 }, pc[16] = { 2 }, h1[16], h2[16], a[24], b[24];
    assert_int_equal(mschap_nt_hash("secret", 6, h1), 0);
    assert_int_equal(mschap_nt_hash("Secret", 6, h2), 0);
    assert_memory_not_equal(h1, h2, 16);
    assert_int_equal(mschap_nt_response(ac, pc, "bob", 3, h1, a), 0);
    assert_int_equal(mschap_nt_response(ac, pc, "bob", 3, h2, b), 0);
    assert_memory_not_equal(a, b, 24);
    assert_int_equal(mschap_nt_response(ac, pc, "rob", 3, h1, b), 0);
    assert_memory_not_equal(a, b, 24);
    pc[0] ^= 1;
    assert_int_equal(mschap_nt_response(ac, pc, "bob", 3, h1, b), 0);
    assert_memory_not_equal(a, b, 24);
}

/* UTF-8 passwords become UTF-16LE: "é" is U+00E9 → e9 00, so it hashes as
 * the two bytes would; invalid UTF-8 and over-long passwords are refused */
static void unicode(void **state)
{
    (void)state;
    uint8_t h[16], z[16] = { 0 };
    assert_int_equal(mschap_nt_hash("\xc3\xa9", 2, h), 0);
    assert_memory_not_equal(h, z, 16);
    assert_int_equal(mschap_nt_hash("\xf0\x9f\x94\x91", 4, h), 0);     /* a surrogate pair */
    assert_int_equal(mschap_nt_hash("\xc3", 1, h), KITE_E_INVALID_ARG);
    assert_int_equal(mschap_nt_hash("\xed\xa0\x80", 3, h), KITE_E_INVALID_ARG); /* a lone surrogate */
    assert_int_equal(mschap_nt_hash("\xc0\x80", 2, h), KITE_E_INVALID_ARG);     /* over-long NUL */
    char big[MSCHAP_PASSWORD_MAX + 1];
    memset(big, 'a', sizeof big);
    assert_int_equal(mschap_nt_hash(big, sizeof big - 1, h), 0);
    assert_int_equal(mschap_nt_hash(big, sizeof big, h), KITE_E_INVALID_ARG);
}

static void user_name(void **state)
{
    (void)state;
    const char *u;
    size_t n;
    mschap_user_name("CORP\\alice", 10, &u, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(u, "alice", 5);
    mschap_user_name("alice@example.com", 17, &u, &n);
    assert_int_equal(n, 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc2759_example), cmocka_unit_test(rfc3079_msk), cmocka_unit_test(sensitivity),
        cmocka_unit_test(unicode), cmocka_unit_test(user_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
