/* crypto/fetch: an algorithm is fetched once per process and the same
 * object handed out after that, from any thread; an unknown name gives NULL
 * (and is not cached as something); a context made from a cached algorithm
 * works and is freed without freeing the cached one. */
#include "testutil.h"
#include "crypto/fetch.h"
#include <string.h>
#include <threads.h>

static const char *const ciphers[] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305", "AES-128-CBC",
                                       "AES-128-ECB", "AES-192-CCM", "CAMELLIA-256-CBC", "AES-128-CTR" };
#define N_CIPHERS (sizeof ciphers / sizeof ciphers[0])

static void same_object_each_time(void **state)
{
    (void)state;
    EVP_CIPHER *first[N_CIPHERS];
    for (size_t i = 0; i < N_CIPHERS; i++) {
        first[i] = fetch_cipher(ciphers[i]);
        assert_non_null(first[i]);
        assert_true(EVP_CIPHER_is_a(first[i], ciphers[i]));
    }
    for (size_t i = 0; i < N_CIPHERS; i++) {
        assert_ptr_equal(fetch_cipher(ciphers[i]), first[i]);
        for (size_t k = 0; k < i; k++)
            assert_ptr_not_equal(first[k], first[i]);
    }
    EVP_MAC *hmac = fetch_mac("HMAC"), *cmac = fetch_mac("CMAC");
    assert_non_null(hmac);
    assert_non_null(cmac);
    assert_ptr_not_equal(hmac, cmac);
    assert_ptr_equal(fetch_mac("HMAC"), hmac);
    /* a cipher and a MAC are told apart even under one name space */
    assert_null(fetch_mac("AES-128-GCM"));
    assert_null(fetch_cipher("HMAC"));
}

static void unknown_name(void **state)
{
    (void)state;
    assert_null(fetch_cipher("NO-SUCH-CIPHER-128"));
    assert_null(fetch_cipher("NO-SUCH-CIPHER-128")); /* asked again: still none */
    assert_null(fetch_mac("NO-SUCH-MAC"));
}

/* a context takes its own reference: freeing it leaves the cached cipher
 * usable (ASan: no use after free) */
static void contexts_hold_their_own_reference(void **state)
{
    (void)state;
    static const uint8_t key[16] = { 1 }, iv[16] = { 2 }, in[16] = { 3 };
    uint8_t out[2][32];
    for (int round = 0; round < 2; round++) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int n = 0;
        assert_non_null(c);
        assert_int_equal(EVP_EncryptInit_ex2(c, fetch_cipher("AES-128-CBC"), key, iv, NULL), 1);
        assert_int_equal(EVP_CIPHER_CTX_set_padding(c, 0), 1);
        assert_int_equal(EVP_EncryptUpdate(c, out[round], &n, in, sizeof in), 1);
        assert_int_equal(n, 16);
        EVP_CIPHER_CTX_free(c);
    }
    assert_memory_equal(out[0], out[1], 16);
}

enum { THREADS = 4, ROUNDS = 2000 };

struct worker {
    const void *seen[N_CIPHERS];
    int bad;
};

static int worker_run(void *arg)
{
    struct worker *w = arg;
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < N_CIPHERS; i++) {
            const void *c = fetch_cipher(ciphers[(i + (size_t)r) % N_CIPHERS]);
            size_t k = (i + (size_t)r) % N_CIPHERS;
            if (!c || (w->seen[k] && w->seen[k] != c))
                w->bad++;
            w->seen[k] = c;
        }
    return 0;
}

/* threads asking at once for names not fetched before (this test runs
 * first) each get one object per name, the same in every thread and on
 * every call */
static void threads_agree(void **state)
{
    (void)state;
    static struct worker w[THREADS];
    thrd_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(thrd_create(&t[i], worker_run, &w[i]), thrd_success);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(thrd_join(t[i], NULL), thrd_success);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].bad, 0);
        for (size_t k = 0; k < N_CIPHERS; k++)
            assert_ptr_equal(w[i].seen[k], fetch_cipher(ciphers[k]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_agree), /* first: the cache is empty */
        cmocka_unit_test(same_object_each_time),
        cmocka_unit_test(unknown_name),
        cmocka_unit_test(contexts_hold_their_own_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
