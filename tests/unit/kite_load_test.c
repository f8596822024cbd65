/* tools/kite_load_stats: the load generator's identities, rate, IKE SA id map,
 * percentiles and report (issue 13) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "kite_load.h"
#include "ike/ike.h"

static void test_id_format(void **st)
{
    (void)st;
    char b[32];
    assert_int_equal(load_id_format("load-%u@example.com", 7, b, sizeof b), 0);
    assert_string_equal(b, "load-7@example.com");
    assert_int_equal(load_id_format("%x.%u%%", 255, b, sizeof b), 0);
    assert_string_equal(b, "ff.255%");
    assert_int_equal(load_id_format("plain", 100000, b, sizeof b), 0);
    assert_string_equal(b, "plain");
    assert_int_equal(load_id_format("n%u", 4294967295u, b, sizeof b), 0);
    assert_string_equal(b, "n4294967295");
    /* unknown directives, a lone % and results that do not fit are refused */
    assert_int_equal(load_id_format("%s", 1, b, sizeof b), -1);
    assert_int_equal(load_id_format("a%", 1, b, sizeof b), -1);
    char small[8];
    assert_int_equal(load_id_format("load-%u", 12, small, sizeof small), 0); /* "load-12" + NUL: fits */
    assert_int_equal(load_id_format("load-%u", 123, small, sizeof small), -1);
    assert_int_equal(load_id_format("12345678", 0, small, sizeof small), -1);
}

static void test_rate(void **st)
{
    (void)st;
    double r = 0;
    assert_int_equal(load_rate_parse("500", &r), 0);
    assert_true(r == 500);
    assert_int_equal(load_rate_parse("250/s", &r), 0);
    assert_true(r == 250);
    assert_int_equal(load_rate_parse("600/m", &r), 0);
    assert_true(r == 10);
    static const char *const bad[] = { "", "0", "-5", "5/h", "x", "5/s ", "/s", "nan" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(load_rate_parse(bad[i], &r), -1);
}

/* 100,000 ids, in sequence as the engine hands them out: all found, a third
 * deleted (holes in the probe chains), the rest still found */
static void test_map(void **st)
{
    (void)st;
    struct load_map m;
    enum { N = 100000 };
    assert_int_equal(load_map_init(&m, N), 0);
    assert_int_equal(load_map_put(&m, 0, 1), -1);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(load_map_put(&m, i + 1, i), 0);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(load_map_get(&m, i + 1), i);
    assert_int_equal(load_map_get(&m, N + 1), -1);
    assert_int_equal(load_map_get(&m, 0), -1);
    for (uint32_t i = 0; i < N; i += 3)
        load_map_del(&m, i + 1);
    load_map_del(&m, N + 5); /* not there: nothing changes */
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(load_map_get(&m, i + 1), i % 3 ? (int64_t)i : -1);
    load_map_free(&m);
    /* a small map stays correct when its keys collide */
    assert_int_equal(load_map_init(&m, 4), 0);
    uint32_t keys[] = { 1, 17, 33, 49, 65, 81, 97 };
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(load_map_put(&m, keys[i], i), 0);
    load_map_del(&m, 33);
    load_map_del(&m, 1);
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(load_map_get(&m, keys[i]), keys[i] == 33 || keys[i] == 1 ? -1 : (int64_t)i);
    load_map_free(&m);
}

static void test_percentiles(void **st)
{
    (void)st;
    struct load_lat l = { 0 };
    assert_int_equal(load_lat_pct(&l, 50), 0);
    /* 1..1000 in reverse: nearest rank p50 = 500, p99 = 990, max 1000 */
    for (uint32_t v = 1000; v >= 1; v--)
        assert_int_equal(load_lat_add(&l, v), 0);
    assert_int_equal(load_lat_pct(&l, 50), 500);
    assert_int_equal(load_lat_pct(&l, 99), 990);
    assert_int_equal(load_lat_pct(&l, 100), 1000);
    assert_int_equal(load_lat_pct(&l, 0.01), 1);
    load_lat_free(&l);
    /* one value is every percentile; two: p50 the lower */
    load_lat_add(&l, 42);
    assert_int_equal(load_lat_pct(&l, 99), 42);
    load_lat_add(&l, 7);
    assert_int_equal(load_lat_pct(&l, 50), 7);
    assert_int_equal(load_lat_pct(&l, 51), 42);
    load_lat_free(&l);
}

static void test_report(void **st)
{
    (void)st;
    struct load_lat l = { 0 };
    for (uint32_t v = 1; v <= 100; v++)
        load_lat_add(&l, v * 1000);
    struct load_report r = { .n = 120, .started = 120, .established = 100, .failed = 20, .setup_s = 2.5,
                             .rss_kb = 1234 };
    r.fail[LOAD_F_AUTH] = 15;
    r.fail[LOAD_F_TIMEOUT] = 5;
    load_report_latency(&r, &l);
    assert_int_equal(r.p50_us, 50000);
    assert_int_equal(r.p99_us, 99000);
    assert_int_equal(r.max_us, 100000);
    assert_true(load_report_rate(&r) == 40);
    char *txt = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&txt, &n);
    load_report_print(f, &r, true);
    fclose(f);
    assert_non_null(strstr(txt, "\"established\": 100, \"failed\": 20"));
    assert_non_null(strstr(txt, "\"timeout\": 5, \"AUTHENTICATION_FAILED\": 15, \"NO_PROPOSAL_CHOSEN\": 0"));
    assert_non_null(strstr(txt, "\"sas_per_s\": 40.0"));
    assert_non_null(strstr(txt, "\"p50\": 50.000, \"p99\": 99.000, \"max\": 100.000"));
    free(txt);
    f = open_memstream(&txt, &n);
    load_report_print(f, &r, false);
    fclose(f);
    assert_non_null(strstr(txt, "established 100, failed 20 in 2.500 s (40.0 SAs/s)"));
    assert_non_null(strstr(txt, "AUTHENTICATION_FAILED 15,"));
    free(txt);
    assert_null(load_fail_name(LOAD_F_N));
    load_lat_free(&l);
}

/* --vips' count of distinct addresses: family and IP, not the port */
static void test_addrs_distinct(void **st)
{
    (void)st;
    struct ike_addr a[5] = { { 4, { 10, 3, 0, 2 }, 0 }, { 4, { 10, 3, 0, 1 }, 0 }, { 4, { 10, 3, 0, 2 }, 500 },
                             { 6, { 10, 3, 0, 1 }, 0 }, { 4, { 10, 3, 0, 3 }, 0 } };
    assert_int_equal(load_addrs_distinct(a, 5), 4);
    assert_int_equal(load_addrs_distinct(a, 0), 0);
    assert_int_equal(load_addrs_distinct(a, 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_format),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_addrs_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
