/* cred/id_hash: identities that cred_id_match finds equal without wildcards
 * hash the same (the connection and secret indexes rely on it); different
 * ones do not collide in these samples. */
#include "testutil.h"
#include <string.h>
#include "cred/id.h"

static const uint64_t key[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

static uint64_t h(const char *text, uint8_t *type_out)
{
    uint8_t type, data[512];
    size_t len;
    assert_int_equal(cred_id_parse(text, &type, data, sizeof data, &len), 0);
    if (type_out)
        *type_out = type;
    return cred_id_hash(key, type, span_of(data, len));
}

static bool match(const char *pattern, const char *id)
{
    uint8_t pt, it, pd[512], idd[512];
    size_t pl, il;
    assert_int_equal(cred_id_parse(pattern, &pt, pd, sizeof pd, &pl), 0);
    assert_int_equal(cred_id_parse(id, &it, idd, sizeof idd, &il), 0);
    return cred_id_match(pt, span_of(pd, pl), it, span_of(idd, il));
}

static void equal_ids_hash_equal(void **s)
{
    (void)s;
    static const char *const same[][2] = {
        { "carol@example.org", "CAROL@Example.ORG" },
        { "@moon.example", "@MOON.example" },
        { "C=CH, O=strongSwan, CN=moon", "C=ch, O=STRONGSWAN, CN=Moon" },
        { "192.0.2.1", "192.0.2.1" },
        { "2001:db8::1", "2001:db8:0::1" },
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        if (!match(same[i][0], same[i][1]))
            continue; /* only what the matcher calls equal must hash equal */
        assert_true(h(same[i][0], NULL) == h(same[i][1], NULL));
    }
    assert_true(match("carol@example.org", "CAROL@Example.ORG"));
}

static void different_ids_differ(void **s)
{
    (void)s;
    static const char *const ids[] = { "carol@example.org", "dave@example.org", "@carol@example.org",
                                       "example.org",       "192.0.2.1",        "192.0.2.2",
                                       "C=CH, CN=moon",     "C=CH, CN=sun",     "@#0102" };
    enum { N = sizeof ids / sizeof ids[0] };
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            assert_true(h(ids[i], NULL) != h(ids[j], NULL));
    /* the same bytes as another type are another identity */
    uint8_t t1, t2;
    uint64_t a = h("fqdn:x.example", &t1), b = h("email:x.example", &t2);
    assert_int_not_equal(t1, t2);
    assert_true(a != b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(equal_ids_hash_equal),
        cmocka_unit_test(different_ids_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
