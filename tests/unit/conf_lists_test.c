/* conf lists: the lists of a connection and a secret have no compiled-in
 * count (children, selectors, certificate files, ids); they are deep-copied
 * by conf_dup and conf_conn_put and freed with their record (ASan) */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"

enum { IDS = 40, CERTS = 10, CHILDREN = 6, TS = 6 };

/* a configuration text of CHILDREN children with TS selectors a side, CERTS
 * certificate files and a secret of IDS ids */
static char *text_many(void)
{
    size_t cap = 64 * 1024, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t + n, cap - n, "connections { many {\n remote_addrs = 192.0.2.1\n local { certs = ");
    for (int i = 0; i < CERTS; i++)
        n += (size_t)snprintf(t + n, cap - n, "%sc%d.pem", i ? ", " : "", i);
    n += (size_t)snprintf(t + n, cap - n, " }\n children {\n");
    for (int c = 0; c < CHILDREN; c++) {
        n += (size_t)snprintf(t + n, cap - n, "  k%d { local_ts = ", c);
        for (int i = 0; i < TS; i++)
            n += (size_t)snprintf(t + n, cap - n, "%s10.%d.%d.0/24", i ? "," : "", c, i);
        n += (size_t)snprintf(t + n, cap - n, "\n remote_ts = ");
        for (int i = 0; i < TS; i++)
            n += (size_t)snprintf(t + n, cap - n, "%s10.%d.%d.0/24", i ? "," : "", 100 + c, i);
        n += (size_t)snprintf(t + n, cap - n, " }\n");
    }
    n += (size_t)snprintf(t + n, cap - n, " } } }\nsecrets { ike-all { secret = s3cr3t-of-many\n");
    for (int i = 0; i < IDS; i++)
        n += (size_t)snprintf(t + n, cap - n, "  id-%d = user%d@example.org\n", i, i);
    snprintf(t + n, cap - n, " } }\n");
    return t;
}

static void check_many(const struct kite_conf *c)
{
    assert_int_equal(c->n_conns, 1);
    const struct conf_conn *k = &c->conns[0];
    assert_int_equal(k->n_children, CHILDREN);
    for (int i = 0; i < CERTS; i++) {
        char want[16];
        snprintf(want, sizeof want, "c%d.pem", i);
        assert_string_equal(k->local_certs[i], want);
    }
    assert_string_equal(k->local_certs[CERTS], ""); /* the end of the list */
    const struct conf_child *last = &k->child[CHILDREN - 1];
    assert_int_equal(last->n_local_ts, TS);
    assert_int_equal(last->n_remote_ts, TS);
    assert_int_equal(last->local_ts[TS - 1].lo[1], CHILDREN - 1);
    assert_int_equal(last->local_ts[TS - 1].lo[2], TS - 1);
    assert_int_equal(last->remote_ts[TS - 1].lo[1], 100 + CHILDREN - 1);
    assert_int_equal(c->secrets[0].n_ids, IDS);
    struct conf_id last_id;
    assert_int_equal(conf_parse_id("user39@example.org", &last_id), 0);
    const struct secret *s = conf_psk_find(c, NULL, &last_id); /* the 40th id finds the secret */
    assert_non_null(s);
    assert_memory_equal(s->p, "s3cr3t-of-many", s->n);
}

/* 6 children, 6 selectors a side, 10 certificate files, 40 ids: each over
 * the old compiled-in count (4, 4, 4, 8) */
static void many_of_each(void **st)
{
    (void)st;
    char *t = text_many(), err[256] = "";
    struct kite_conf *c = NULL;
    if (conf_load_string(t, "swanctl.conf", &c, err, sizeof err, NULL, NULL))
        fail_msg("%s", err);
    check_many(c);
    /* a copy has lists of its own: it outlives the original */
    struct kite_conf *d = NULL;
    assert_int_equal(conf_dup(c, &d), 0);
    assert_ptr_not_equal(d->conns[0].child, c->conns[0].child);
    assert_ptr_not_equal(d->secrets[0].ids, c->secrets[0].ids);
    conf_free(c);
    check_many(d);
    /* conf_conn_put copies too; replacing and deleting free the old lists */
    struct conf_conn k;
    assert_int_equal(conf_conn_copy(&k, &d->conns[0]), 0);
    snprintf(k.name, sizeof k.name, "second");
    assert_int_equal(conf_conn_put(d, &k), 0);
    assert_int_equal(conf_conn_put(d, &k), 0); /* replaces "second" */
    conf_conn_free(&k);
    assert_int_equal(d->n_conns, 2);
    assert_int_equal(d->conns[1].child[CHILDREN - 1].n_local_ts, TS);
    assert_int_equal(conf_conn_del(d, "many"), 0);
    assert_string_equal(d->conns[0].name, "second");
    assert_int_equal(d->conns[0].n_children, CHILDREN);
    conf_free(d);
    free(t);
}

/* selectors: 255 a side is what one TS payload can carry (RFC 7296 3.13);
 * the 256th is refused, naming the key */
static void selectors_up_to_the_payload(void **st)
{
    (void)st;
    for (int count = 255; count <= 256; count++) {
        size_t cap = 16 * 1024, n = 0;
        char *t = malloc(cap), err[256] = "";
        assert_non_null(t);
        n += (size_t)snprintf(t + n, cap - n, "connections { c { children { k { local_ts = ");
        for (int i = 0; i < count; i++)
            n += (size_t)snprintf(t + n, cap - n, "%s10.%d.%d.0/24", i ? "," : "", i / 256, i % 256);
        snprintf(t + n, cap - n, "\n remote_ts = 10.200.0.0/16 } } } }\n");
        struct kite_conf *c = NULL;
        int rc = conf_load_string(t, "swanctl.conf", &c, err, sizeof err, NULL, NULL);
        if (count == 255) {
            assert_int_equal(rc, 0);
            assert_int_equal(c->conns[0].child[0].n_local_ts, 255);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "more than 255 traffic selectors in local_ts"));
        }
        conf_free(c);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_of_each),
        cmocka_unit_test(selectors_up_to_the_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
