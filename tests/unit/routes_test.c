/* daemon/routes: the book of kited's TUN routes.  A route many Child SAs
 * share is gone (removed from the kernel) only when the last of them goes;
 * a trap's routes and a Child SA's are apart even with equal ids; a route
 * can be held again after it went; an IKE SA's children going take only
 * what no other holder needs; closing tells each route once; and 20,000
 * random holds and releases agree, event for event, with the flat array
 * dataplane.c scanned before (the anchor, kept here as the model). */
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "daemon/routes.h"

static const uint64_t KEY[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

/* what gone() reported */
struct log {
    unsigned n;
    struct route_key last;
};

static void on_gone(void *ctx, const struct route_key *k)
{
    struct log *l = ctx;
    l->n++;
    l->last = *k;
}

static struct route_key v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int plen)
{
    struct route_key k;
    uint8_t ip[4] = { a, b, c, d };
    routes_key(&k, AF_INET, ip, plen);
    return k;
}

static void shared_until_last(void **state)
{
    (void)state;
    struct routes t;
    struct log l = { 0 };
    struct route_key net = v4(10, 1, 0, 0, 16);
    routes_init(&t, KEY);
    assert_false(routes_known(&t, &net));
    for (uint32_t spi = 1; spi <= 3; spi++)
        assert_int_equal(routes_hold(&t, false, spi, &net), 0);
    assert_int_equal(routes_count(&t), 1);
    assert_int_equal(routes_release(&t, false, 2, on_gone, &l), 1);
    assert_int_equal(routes_release(&t, false, 1, on_gone, &l), 1);
    assert_int_equal(l.n, 0); /* SPI 3 still needs it */
    assert_true(routes_known(&t, &net));
    assert_int_equal(routes_release(&t, false, 2, on_gone, &l), 0); /* let go already */
    assert_int_equal(routes_release(&t, false, 3, on_gone, &l), 1);
    assert_int_equal(l.n, 1);
    assert_memory_equal(&l.last, &net, sizeof net);
    assert_false(routes_known(&t, &net));
    assert_int_equal(routes_count(&t), 0);
    /* held again after it went: known, and gone again with its holder */
    assert_int_equal(routes_hold(&t, false, 1, &net), 0);
    assert_true(routes_known(&t, &net));
    assert_int_equal(routes_release(&t, false, 1, on_gone, &l), 1);
    assert_int_equal(l.n, 2);
    routes_free(&t);
}

/* v4 and v6 with equal bytes, and prefixes of one address, are other routes */
static void keys_apart(void **state)
{
    (void)state;
    struct routes t;
    struct log l = { 0 };
    uint8_t ip[16] = { 10, 1, 0, 0 };
    struct route_key a = v4(10, 1, 0, 0, 16), b = v4(10, 1, 0, 0, 24), c;
    routes_key(&c, AF_INET6, ip, 16);
    routes_init(&t, KEY);
    assert_int_equal(routes_hold(&t, false, 1, &a), 0);
    assert_false(routes_known(&t, &b));
    assert_false(routes_known(&t, &c));
    uint8_t junk[16];
    memset(junk, 0xee, sizeof junk);
    memcpy(junk, ip, 4); /* bytes past an IPv4 address are not the key */
    struct route_key a2;
    routes_key(&a2, AF_INET, junk, 16);
    assert_true(routes_known(&t, &a2));
    assert_int_equal(routes_release(&t, false, 1, on_gone, &l), 1);
    assert_int_equal(l.n, 1);
    routes_free(&t);
}

/* trap policy id and the Child SA with inbound SPI id hold the same route;
 * checked for many ids, so that some pairs share a hash bucket */
static void trap_and_child_apart_one(uint32_t id)
{
    struct routes t;
    struct log l = { 0 };
    struct route_key net = v4(10, 2, 0, 0, 24), other = v4(10, 3, 0, 0, 24);
    routes_init(&t, KEY);
    assert_int_equal(routes_hold(&t, true, id, &net), 0);
    assert_int_equal(routes_hold(&t, false, id, &net), 0);
    assert_int_equal(routes_hold(&t, false, id, &other), 0);
    assert_int_equal(routes_release(&t, false, id, on_gone, &l), 2);
    assert_int_equal(l.n, 1); /* only the Child SA's own */
    assert_memory_equal(&l.last, &other, sizeof other);
    assert_true(routes_known(&t, &net)); /* the trap's stays */
    /* and the other way: the trap goes, the Child SA's route stays */
    assert_int_equal(routes_hold(&t, false, id, &net), 0);
    assert_int_equal(routes_release(&t, true, id, on_gone, &l), 1);
    assert_int_equal(l.n, 1);
    assert_true(routes_known(&t, &net));
    assert_int_equal(routes_release(&t, false, id, on_gone, &l), 1);
    assert_int_equal(l.n, 2);
    assert_false(routes_known(&t, &net));
    /* a trap whose remote selectors overlap holds one route twice */
    assert_int_equal(routes_hold(&t, true, id, &net), 0);
    assert_int_equal(routes_hold(&t, true, id, &net), 0);
    assert_int_equal(routes_release(&t, true, id, on_gone, &l), 2);
    assert_int_equal(l.n, 3);
    routes_free(&t);
}

static void trap_and_child_apart(void **state)
{
    (void)state;
    for (uint32_t id = 0; id < 1000; id++)
        trap_and_child_apart_one(id * 0x9e3779b9u);
}

/* dp_ike_down: the IKE SA's Child SAs go one by one; a route another IKE
 * SA's Child SA shares stays, a trap's too */
static void ike_sa_children_go(void **state)
{
    (void)state;
    struct routes t;
    struct log l = { 0 };
    struct route_key shared = v4(10, 1, 0, 0, 16), own1 = v4(10, 9, 1, 0, 24), own2 = v4(10, 9, 2, 0, 24),
                     trapped = v4(10, 8, 0, 0, 16);
    routes_init(&t, KEY);
    uint32_t mine[3] = { 0xc0000001, 0xc0000002, 0xc0000003 };
    for (int i = 0; i < 3; i++)
        assert_int_equal(routes_hold(&t, false, mine[i], &shared), 0);
    assert_int_equal(routes_hold(&t, false, mine[0], &own1), 0);
    assert_int_equal(routes_hold(&t, false, mine[1], &own2), 0);
    assert_int_equal(routes_hold(&t, false, mine[2], &trapped), 0);
    assert_int_equal(routes_hold(&t, false, 0xd0000001, &shared), 0); /* another IKE SA's */
    assert_int_equal(routes_hold(&t, true, 1, &trapped), 0);
    for (int i = 0; i < 3; i++)
        routes_release(&t, false, mine[i], on_gone, &l);
    assert_int_equal(l.n, 2); /* own1, own2 */
    assert_false(routes_known(&t, &own1));
    assert_false(routes_known(&t, &own2));
    assert_true(routes_known(&t, &shared));
    assert_true(routes_known(&t, &trapped));
    assert_int_equal(routes_count(&t), 2);
    /* dp_close: each route once */
    l.n = 0;
    routes_release_all(&t, on_gone, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(routes_count(&t), 0);
    assert_false(routes_known(&t, &shared));
    routes_free(&t);
}

/* ---- the model: dataplane.c's flat array before issue 13 ---- */

struct old_route {
    bool used, trap;
    uint32_t id;
    struct route_key k;
};

struct model {
    struct old_route *r;
    int n;
    unsigned gone;
};

static bool model_known(const struct model *m, const struct route_key *k)
{
    for (int i = 0; i < m->n; i++)
        if (m->r[i].used && !memcmp(&m->r[i].k, k, sizeof *k))
            return true;
    return false;
}

static void model_hold(struct model *m, bool trap, uint32_t id, const struct route_key *k)
{
    int i = 0;
    while (i < m->n && m->r[i].used)
        i++;
    if (i == m->n)
        m->n++;
    m->r[i] = (struct old_route){ true, trap, id, *k };
}

static unsigned model_release(struct model *m, bool trap, uint32_t id)
{
    unsigned n = 0;
    for (int i = 0; i < m->n; i++) {
        if (!m->r[i].used || m->r[i].trap != trap || m->r[i].id != id)
            continue;
        m->r[i].used = false;
        m->gone += !model_known(m, &m->r[i].k);
        n++;
    }
    return n;
}

/* 20,000 steps: holders (Child SAs and traps with small ids, so that they
 * meet) take routes from a small set (so that they share) or their own */
static void thousands_like_the_model(void **state)
{
    (void)state;
    enum { STEPS = 20000, IDS = 3000 };
    struct routes t;
    struct log l = { 0 };
    struct model m = { calloc(STEPS, sizeof *m.r), 0, 0 };
    assert_non_null(m.r);
    routes_init(&t, KEY);
    srand(13);
    for (int s = 0; s < STEPS; s++) {
        bool trap = rand() % 8 == 0;
        uint32_t id = (uint32_t)(rand() % IDS);
        if (rand() % 3) {
            int r = rand() % 4000;
            struct route_key k = r < 50 ? v4(10, (uint8_t)r, 0, 0, 16) : v4(10, 200, (uint8_t)(r >> 8), (uint8_t)r, 32);
            assert_int_equal(routes_known(&t, &k), model_known(&m, &k));
            assert_int_equal(routes_hold(&t, trap, id, &k), 0);
            model_hold(&m, trap, id, &k);
        } else {
            assert_int_equal(routes_release(&t, trap, id, on_gone, &l), model_release(&m, trap, id));
            assert_int_equal(l.n, m.gone);
        }
    }
    unsigned distinct = 0;
    for (int i = 0; i < m.n; i++)
        if (m.r[i].used) {
            bool first = true;
            for (int j = 0; j < i && first; j++)
                first = !(m.r[j].used && !memcmp(&m.r[j].k, &m.r[i].k, sizeof m.r[i].k));
            distinct += first;
        }
    assert_true(distinct > 1000);
    assert_int_equal(routes_count(&t), distinct);
    l.n = 0;
    routes_release_all(&t, on_gone, &l);
    assert_int_equal(l.n, distinct);
    free(m.r);
    routes_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_until_last),
        cmocka_unit_test(keys_apart),
        cmocka_unit_test(trap_and_child_apart),
        cmocka_unit_test(ike_sa_children_go),
        cmocka_unit_test(thousands_like_the_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
