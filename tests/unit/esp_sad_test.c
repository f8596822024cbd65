/* esp/sad: insert, lookup, remove against a naive array on random SPIs,
 * through growth and many removals (backward-shift deletion must keep every
 * remaining SA reachable). */
#include "testutil.h"
#include "esp/sad.h"
#include <stdlib.h>
#include <string.h>

enum { N = 3000 };

static struct esp_sa *naive_find(struct esp_sa *sas, const bool *in, uint32_t spi)
{
    for (size_t i = 0; i < N; i++)
        if (in[i] && sas[i].spi == spi)
            return &sas[i];
    return NULL;
}

static void test_sad_random(void **state)
{
    (void)state;
    struct esp_sa *sas = calloc(N, sizeof *sas);
    bool *in = calloc(N, sizeof *in);
    struct esp_sad sad;
    assert_non_null(sas);
    srand(7);
    for (size_t i = 0; i < N; i++) /* distinct SPIs, some sharing low bits */
        sas[i].spi = i % 3 ? (uint32_t)rand() << 1 ^ (uint32_t)i : (uint32_t)(i << 16);
    assert_int_equal(esp_sad_init(&sad, 4), 0);
    assert_null(esp_sad_lookup(&sad, 1));
    for (int round = 0; round < 6; round++) {
        for (size_t i = 0; i < N; i++) {
            bool want_in = rand() % 3 != 0;
            if (want_in && !in[i]) {
                assert_int_equal(esp_sad_insert(&sad, &sas[i]), 0);
                in[i] = true;
            } else if (!want_in && in[i]) {
                assert_ptr_equal(esp_sad_remove(&sad, sas[i].spi), &sas[i]);
                in[i] = false;
            }
        }
        size_t count = 0;
        for (size_t i = 0; i < N; i++) {
            assert_ptr_equal(esp_sad_lookup(&sad, sas[i].spi), naive_find(sas, in, sas[i].spi));
            count += in[i];
        }
        assert_int_equal(sad.n, count);
        assert_true(sad.n * 2 <= sad.cap);
    }
    /* a second SA with a present SPI is refused; absent SPIs are not found */
    for (size_t i = 0; i < N; i++) {
        if (in[i]) {
            struct esp_sa dup = { .spi = sas[i].spi };
            assert_int_equal(esp_sad_insert(&sad, &dup), KITE_E_INVALID_SPI);
            break;
        }
    }
    assert_null(esp_sad_remove(&sad, 0xdeadbeef));
    for (size_t i = 0; i < N; i++)
        if (in[i])
            assert_ptr_equal(esp_sad_remove(&sad, sas[i].spi), &sas[i]);
    assert_int_equal(sad.n, 0);
    esp_sad_free(&sad);
    /* a zeroed table works too (grows on first insert) */
    memset(&sad, 0, sizeof sad);
    assert_null(esp_sad_lookup(&sad, 5));
    assert_int_equal(esp_sad_insert(&sad, &sas[0]), 0);
    assert_ptr_equal(esp_sad_lookup(&sad, sas[0].spi), &sas[0]);
    esp_sad_free(&sad);
    free(sas);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sad_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
