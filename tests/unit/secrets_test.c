/* daemon/secrets: the configuration's ike-x secrets become the engine's
 * pre-shared keys by identity; eap-x secrets (users' passwords) never do. */
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "daemon/secrets.h"

static void rnd(void *ctx, uint8_t *p, size_t n)
{
    (void)ctx;
    memset(p, 0x5a, n);
}

static void only_ike_secrets_are_psks(void **s)
{
    (void)s;
    struct ike_env env = { NULL, rnd, NULL, 0, NULL };
    struct ike_engine *e = ike_engine_new(&env);
    struct kite_conf *c = NULL;
    char err[256];
    assert_non_null(e);
    if (conf_load_string("secrets {\n ike-a {\n  id = a@example.com\n  secret = psk-a\n }\n"
                         " ike-b {\n  secret = psk-b\n }\n"
                         " eap-carol {\n  id = carol\n  secret = carols-password\n }\n}\n",
                         "swanctl.conf", &c, err, sizeof err, NULL, NULL))
        fail_msg("%s", err);
    assert_int_equal(secrets_apply(e, c, NULL), 2);
    conf_free(c);
    /* none at all: the engine's table is emptied */
    assert_int_equal(conf_load_string("", "swanctl.conf", &c, err, sizeof err, NULL, NULL), 0);
    assert_int_equal(secrets_apply(e, c, NULL), 0);
    conf_free(c);
    ike_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_ike_secrets_are_psks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
