/* DNS-named peers (daemon/resolve.c, issue 14), with a fake resolver:
 *  - the name resolved to a wrong address: the attempt goes unanswered, its
 *    IKE SA goes down, the name is resolved again (now the right address)
 *    and keyingtries' next attempt establishes the IKE SA there;
 *  - a failed resolution leaves the address as it was; a rekeyed IKE SA going
 *    is not a reason to resolve;
 *  - a responder whose DNS-named remote has not resolved answers nobody, and
 *    answers once it has;
 *  - resolve_pick takes the first address of the wanted family, and
 *    resolve_bounded resolves localhost through the system's resolver. */
#include <netinet/in.h>
#include "daemon/resolve.h"
#undef h_addr /* netdb.h's legacy macro, not the harness's helper */
#include "harness.h"

static const char *PSK = "resolve-test-psk-0123456789";

static struct { int calls; uint8_t last; int fail; char name[64]; } fake;

static int fake_fn(void *ctx, const char *name, uint8_t family, struct ike_addr *out)
{
    (void)ctx;
    (void)family;
    fake.calls++;
    snprintf(fake.name, sizeof fake.name, "%s", name);
    if (fake.fail)
        return EAI_NONAME;
    *out = h_addr(fake.last, 0);
    return 0;
}

static struct ike_action down_of(const char *conn, const char *reason)
{
    struct ike_action a;
    memset(&a, 0, sizeof a);
    a.type = IKE_ACT_IKE_DOWN;
    snprintf(a.conn, sizeof a.conn, "%s", conn);
    snprintf(a.reason, sizeof a.reason, "%s", reason);
    return a;
}

static void retry_goes_to_the_new_address(void **st)
{
    (void)st;
    struct ike_conn_cfg ca = h_conn(1, 9, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK),
                        cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    snprintf(ca.remote_host, sizeof ca.remote_host, "sun.example"); /* resolved at load to 192.0.2.9: stale */
    ca.remote_id.data[3] = 2;
    ca.child[0].remote_ts[0] = h_ts(10, 2, 0, 24);
    ca.keyingtries = 2;
    ca.keyingtries_set = true;
    ca.retransmit_tries = 1;
    ca.retransmit_timeout_ms = 500;
    struct pair p;
    pair_init(&p, &ca, &cb);
    struct resolver r = { .fn = fake_fn };
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    for (int i = 0; i < 200 && !p.a.ike_down; i++)
        pair_run(&p, p.now + 50);
    assert_int_equal(p.a.ike_up, 0);
    assert_int_equal(p.a.ike_down, 1); /* the first attempt: nobody at 192.0.2.9 */
    /* what the daemon does with each action: an IKE_DOWN of a named connection resolves again */
    fake.last = 2;
    struct ike_action a = down_of("lab", "rekeyed");
    resolve_action(&r, p.a.e, &a);
    assert_int_equal(fake.calls, 0);
    a = down_of("lab", "peer did not answer");
    resolve_action(&r, p.a.e, &a);
    assert_int_equal(fake.calls, 1);
    assert_string_equal(fake.name, "sun.example");
    assert_int_equal(resolve_poll(&r, p.a.e, p.now), UINT64_MAX);
    assert_int_equal(ike_engine_conn(p.a.e, 0)->remote.ip[3], 2);
    pair_run(&p, p.now + 60000); /* keyingtries' second attempt */
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.b.ike_up, 1);
    assert_int_equal(p.a.child_up, 1);
    /* a failed resolution changes nothing */
    fake.fail = 1;
    resolve_action(&r, p.a.e, &a);
    resolve_poll(&r, p.a.e, p.now);
    assert_int_equal(ike_engine_conn(p.a.e, 0)->remote.ip[3], 2);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.done, 2);
    fake.fail = 0;
    resolve_free(&r);
    pair_free(&p);
}

static void unresolved_responder_answers_nobody(void **st)
{
    (void)st;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK),
                        cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    snprintf(cb.remote_host, sizeof cb.remote_host, "moon.example");
    cb.remote.family = 0; /* not resolved */
    memset(cb.remote.ip, 0, 16);
    ca.keyingtries = 0; /* forever */
    ca.keyingtries_set = true;
    ca.retransmit_tries = 1;
    ca.retransmit_timeout_ms = 500;
    struct pair p;
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.b.e, "lab", "net", p.now), KITE_E_INVALID_ARG); /* nothing to initiate to */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 5000);
    assert_int_equal(p.b.ike_up, 0);
    assert_int_equal(p.a.ike_up, 0);
    struct resolver r = { .fn = fake_fn };
    fake.last = 1;
    struct ike_action a = down_of("lab", "peer did not answer");
    resolve_action(&r, p.b.e, &a);
    resolve_poll(&r, p.b.e, p.now);
    assert_int_equal(ike_engine_conn(p.b.e, 0)->remote.family, 4);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.b.ike_up, 1);
    resolve_free(&r);
    pair_free(&p);
}

static void pick_and_bounded(void **st)
{
    (void)st;
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_addr = { .s6_addr = { 0x20, 1, 0xd, 0xb8, [15] = 5 } } };
    struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_addr = { htonl(0xc0000207) } };
    struct addrinfo i4 = { .ai_family = AF_INET, .ai_addr = (struct sockaddr *)&s4 };
    struct addrinfo i6 = { .ai_family = AF_INET6, .ai_addr = (struct sockaddr *)&s6, .ai_next = &i4 };
    struct ike_addr out;
    assert_int_equal(resolve_pick(&i6, 0, &out), 0);
    assert_int_equal(out.family, 6);
    assert_int_equal(out.ip[15], 5);
    assert_int_equal(resolve_pick(&i6, 4, &out), 0);
    assert_int_equal(out.family, 4);
    assert_int_equal(out.ip[3], 7);
    i6.ai_next = NULL;
    assert_int_equal(resolve_pick(&i6, 4, &out), -1);
    assert_int_equal(resolve_bounded("localhost", 4, 2000, &out), 0);
    assert_int_equal(out.family, 4);
    assert_int_equal(out.ip[0], 127);
    assert_int_not_equal(resolve_bounded("no-such-host.invalid", 4, 2000, &out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_goes_to_the_new_address),
        cmocka_unit_test(unresolved_responder_answers_nobody),
        cmocka_unit_test(pick_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
