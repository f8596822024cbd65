/* Configuration payloads in IKE_AUTH (RFC 7296 3.15, 2.19; issue 15): a
 * kite client with vips = 0.0.0.0 to a kite gateway with a pool.
 *  - the client's CFG_REQUEST is answered with a CFG_REPLY: the first
 *    address of the pool and the pool's DNS server reach the daemon
 *    (IKE_ACT_VIP) before the Child SA (CHILD_UP), whose local selector is
 *    the virtual IP; the gateway's remote selector is narrowed to it;
 *  - list-sas' view (ike_sa_info) shows the vip on both sides;
 *  - the same identity gets its address back after its IKE SA went, an IKE
 *    SA rekey keeps the lease, the lease goes offline with the last IKE SA;
 *  - an exhausted pool: INTERNAL_ADDRESS_FAILURE, no Child SA, counted;
 *  - a client that asks for nothing from a gateway with pools:
 *    FAILED_CP_REQUIRED;
 *  - the gateway's remote_ts not holding the pool: TS_UNACCEPTABLE;
 *  - a gateway without pools answers no CP: the client, which needs an
 *    address, deletes the IKE SA (as charon does). */
#include "ike/ike_int.h" /* white-box: the pool, to fill it up */
#include "harness.h"

static const char *PSK = "cp-test-psk-0123456789abcdef";

static const struct ike_pool_attr DNS = { IKEV2_CFGA_INTERNAL_IP4_DNS, 4, { 10, 2, 0, 53 } };

/* a: the road warrior 192.0.2.1 (vips = 0.0.0.0, local_ts 0.0.0.0/0);
 * b: the gateway 192.0.2.2 (pool rw = 10.3.0.1-10.3.0.<last>, 10.2.0.0/24 behind it) */
static bool no_pools; /* the gateway's connection names no pool */

static void setup(struct pair *p, bool vips, uint8_t last, struct ike_ts_cfg gw_remote)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.child[0].local_ts[0] = h_ts(0, 0, 0, 0);
    if (vips) {
        ca.n_vips = 1;
        ca.vips[0].family = 4;
    }
    cb.child[0].remote_ts[0] = gw_remote;
    cb.n_pools = no_pools ? 0 : 1;
    snprintf(cb.pools[0], sizeof cb.pools[0], "rw");
    pair_init(p, &ca, &cb);
    struct ike_pool_cfg pool = { .name = "rw", .family = 4, .lo = { 10, 3, 0, 1 }, .hi = { 10, 3, 0, last },
                                 .n_attrs = 1, .attrs = &DNS };
    assert_int_equal(ike_engine_set_pools(p->b.e, &pool, 1), 0);
}

static bool info(struct side *s, struct ike_sa_info *out)
{
    for (unsigned i = 0; i < ike_sa_slots(s->e); i++)
        if (ike_sa_info(s->e, i, out) && !strcmp(out->state, "ESTABLISHED"))
            return true;
    return false;
}

static void pool_numbers(struct side *s, uint64_t online, uint64_t offline, uint64_t exhausted)
{
    struct ike_pool_info pi;
    assert_true(ike_engine_pool_info(s->e, 0, &pi));
    assert_int_equal(pi.online, online);
    assert_int_equal(pi.offline, offline);
    assert_int_equal(pi.exhausted, exhausted);
}

static const uint8_t VIP1[4] = { 10, 3, 0, 1 };

/*  HDR, SK {IDi, AUTH, CP(CFG_REQUEST: INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS), SAi2, TSi 0.0.0.0/0, TSr}  -->
 *        <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY: INTERNAL_IP4_ADDRESS 10.3.0.1, INTERNAL_IP4_DNS 10.2.0.53),
 *                      SAr2, TSi 10.3.0.1/32, TSr 10.2.0.0/24} */
static void assigned(void **state)
{
    (void)state;
    struct pair p;
    setup(&p, true, 50, h_ts(10, 3, 0, 16));
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    /* the daemon hears of the address before the Child SA that uses it */
    assert_int_equal(p.a.vip_events, 1);
    assert_int_equal(p.a.child_up_at_vip, 0);
    assert_int_equal(p.a.n_vip, 1);
    assert_int_equal(p.a.vip[0].family, 4);
    assert_memory_equal(p.a.vip[0].ip, VIP1, 4);
    assert_int_equal(p.a.n_dns, 1);
    assert_memory_equal(p.a.dns[0].ip, DNS.value, 4);
    assert_int_equal(p.b.vip_events, 0);
    /* the selectors: the client's own side is its virtual IP alone */
    struct ike_ts_cfg vip = h_ts(10, 3, 0, 32);
    vip.lo[3] = vip.hi[3] = 1;
    assert_memory_equal(p.a.child.local_ts.lo, vip.lo, 4);
    assert_memory_equal(p.a.child.local_ts.hi, vip.hi, 4);
    assert_memory_equal(p.b.child.remote_ts.lo, vip.lo, 4);
    assert_memory_equal(p.b.child.remote_ts.hi, vip.hi, 4);
    assert_memory_equal(p.b.child.local_ts.lo, h_ts(10, 2, 0, 24).lo, 4);
    struct ike_sa_info ia, ib;
    assert_true(info(&p.a, &ia));
    assert_true(info(&p.b, &ib));
    assert_int_equal(ia.n_local_vips, 1);
    assert_int_equal(ia.n_remote_vips, 0);
    assert_memory_equal(ia.local_vips[0].ip, VIP1, 4);
    assert_int_equal(ib.n_remote_vips, 1);
    assert_memory_equal(ib.remote_vips[0].ip, VIP1, 4);
    assert_true(strstr(p.b.log, "assigning virtual IP 10.3.0.1 to peer '192.0.2.1'") != NULL);
    assert_true(strstr(p.a.log, "installing new virtual IP 10.3.0.1") != NULL);
    pool_numbers(&p.b, 1, 0, 0);
    pair_free(&p);
}

/* the same identity again, after its IKE SA went: the same address; an IKE
 * SA rekey keeps the lease online (held by the new IKE SA) */
static void reuse_and_rekey(void **state)
{
    (void)state;
    struct pair p;
    struct ike_sa_info ib;
    setup(&p, true, 50, h_ts(10, 3, 0, 16));
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_true(info(&p.b, &ib));
    assert_int_equal(ike_sa_rekey(p.b.e, ib.id, p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.b.ike_rekeyed, 1);
    pool_numbers(&p.b, 1, 0, 0);
    assert_true(info(&p.b, &ib));
    assert_int_equal(ib.n_remote_vips, 1);
    struct ike_sa_info ia;
    assert_true(info(&p.a, &ia));
    assert_int_equal(ia.n_local_vips, 1); /* the client's view moved along too */
    /* the client closes: the lease goes offline, kept for it */
    assert_int_equal(ike_sa_terminate(p.a.e, ia.id, p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_false(info(&p.b, &ib));
    pool_numbers(&p.b, 0, 1, 0);
    /* and comes back: the same address, online again */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.vip_events, 2);
    assert_memory_equal(p.a.vip[0].ip, VIP1, 4);
    pool_numbers(&p.b, 1, 0, 0);
    pair_free(&p);
}

/*  HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr}  -->
 *                     <--  HDR, SK {IDr, AUTH, N(INTERNAL_ADDRESS_FAILURE)}
 *  HDR, SK {D}  -->  (the client deletes the IKE SA, as charon does) */
static void exhausted(void **state)
{
    (void)state;
    struct pair p;
    setup(&p, true, 1, h_ts(10, 3, 0, 16)); /* one address */
    int err;
    static const uint8_t other[] = "someone-else";
    assert_non_null(ike_vpool_acquire(p.b.e->pools[0], IKEV2_ID_FQDN, other, sizeof other - 1, &err));
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 0);
    assert_int_equal(p.b.n_inst, 0);
    assert_int_equal(p.a.vip_events, 0);
    assert_true(strstr(p.b.log, "no virtual IP found, sending INTERNAL_ADDRESS_FAILURE") != NULL);
    assert_true(strstr(p.b.log, "pool 'rw' has no address left") != NULL);
    assert_true(strstr(p.a.down_reason, "INTERNAL_ADDRESS_FAILURE") != NULL);
    pool_numbers(&p.b, 1, 0, 1);
    struct ike_sa_info ib;
    assert_false(info(&p.b, &ib)); /* the client's Delete closed it */
    pair_free(&p);
}

/* no CFG_REQUEST to a gateway with pools: FAILED_CP_REQUIRED */
static void cp_required(void **state)
{
    (void)state;
    struct pair p;
    setup(&p, false, 50, h_ts(10, 3, 0, 16));
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 0);
    assert_int_equal(p.b.n_inst, 0);
    assert_true(strstr(p.b.log, "expected a virtual IP request, sending FAILED_CP_REQUIRED") != NULL);
    assert_true(strstr(p.a.down_reason, "FAILED_CP_REQUIRED") != NULL);
    pool_numbers(&p.b, 0, 0, 0);
    pair_free(&p);
}

/* the gateway's remote_ts does not hold the pool: the peer's virtual IP
 * cannot be its selector, TS_UNACCEPTABLE (the lease goes with the IKE SA) */
static void vip_outside_ts(void **state)
{
    (void)state;
    struct pair p;
    setup(&p, true, 50, h_ts(10, 9, 0, 24));
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.b.n_inst, 0);
    assert_true(strstr(p.b.log, "virtual IP is not within remote_ts") != NULL);
    pool_numbers(&p.b, 0, 1, 0);
    pair_free(&p);
}

/*  HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr}  -->
 *                     <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}   (no CP)
 *  HDR, SK {D}  -->  (no address: the client installs nothing) */
static void no_address(void **state)
{
    (void)state;
    struct pair p;
    no_pools = true;
    setup(&p, true, 50, h_ts(0, 0, 0, 0));
    no_pools = false;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 0);
    assert_int_equal(p.a.vip_events, 0);
    assert_true(strstr(p.a.down_reason, "no virtual IP in the responder's CFG_REPLY") != NULL);
    struct ike_sa_info ib;
    assert_false(info(&p.b, &ib)); /* the client's Delete closed the gateway's too */
    pair_free(&p);
}

/* vips = 0.0.0.0, :: from pools rw (IPv4) and rw6 (fd00:3::/64): one
 * address of each family (INTERNAL_IP6_ADDRESS with prefix length 128),
 * both reported to the daemon and listed; the Child SA (one selector pair
 * in kite) is the IPv4 one */
static void dual_stack(void **state)
{
    (void)state;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.child[0].local_ts[0] = h_ts(0, 0, 0, 0);
    ca.n_vips = 2;
    ca.vips[0].family = 4;
    ca.vips[1].family = 6;
    cb.child[0].remote_ts[0] = h_ts(10, 3, 0, 16);
    cb.n_pools = 2;
    snprintf(cb.pools[0], sizeof cb.pools[0], "rw6");
    snprintf(cb.pools[1], sizeof cb.pools[1], "rw");
    pair_init(&p, &ca, &cb);
    struct ike_pool_cfg pools[2] = {
        { .name = "rw", .family = 4, .lo = { 10, 3, 0, 1 }, .hi = { 10, 3, 0, 50 } },
        { .name = "rw6", .family = 6, .lo = { 0xfd, 0, 0, 3, [15] = 1 },
          .hi = { 0xfd, 0, 0, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
    };
    assert_int_equal(ike_engine_set_pools(p.b.e, pools, 2), 0);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.a.n_vip, 2);
    assert_int_equal(p.a.vip[0].family, 4);
    assert_memory_equal(p.a.vip[0].ip, VIP1, 4);
    assert_int_equal(p.a.vip[1].family, 6);
    static const uint8_t v6[16] = { 0xfd, 0, 0, 3, [15] = 1 };
    assert_memory_equal(p.a.vip[1].ip, v6, 16);
    struct ike_sa_info ib;
    assert_true(info(&p.b, &ib));
    assert_int_equal(ib.n_remote_vips, 2);
    assert_memory_equal(p.b.child.remote_ts.lo, VIP1, 4);
    assert_true(strstr(p.b.log, "assigning virtual IP fd00:3::1 to peer") != NULL);
    pair_free(&p);
}

/* the gateway's remote_ts = dynamic (strongSwan's default): the peer's
 * virtual IP, not its IKE address */
static void dynamic_remote(void **state)
{
    (void)state;
    struct pair p;
    struct ike_ts_cfg dyn = { .dynamic = true, .port_lo = 0, .port_hi = 0xffff };
    setup(&p, true, 50, dyn);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.b.n_inst, 1);
    assert_memory_equal(p.b.child.remote_ts.lo, VIP1, 4);
    assert_memory_equal(p.b.child.remote_ts.hi, VIP1, 4);
    assert_memory_equal(p.a.child.local_ts.lo, VIP1, 4);
    pair_free(&p);
}

/* child[1] "net2" a copy of child[0] in its own lists (the harness's room) */
static void second_child(struct ike_conn_cfg *c)
{
    struct ike_child_cfg *n = &c->child[1], *o = &c->child[0];
    struct ike_ts_cfg *l = n->local_ts, *r = n->remote_ts;
    struct ike_prop_cfg *esp = n->esp;
    *n = *o;
    n->local_ts = l;
    n->remote_ts = r;
    n->esp = esp;
    l[0] = o->local_ts[0];
    r[0] = o->remote_ts[0];
    esp[0] = o->esp[0];
}

/* the client's local_ts = dynamic (the default) with vips: it proposes
 * TSi 0.0.0.0/0, which the gateway narrows to the address it assigns, so
 * the installed local selector is the virtual IP, not the IKE address; a
 * second Child SA (CREATE_CHILD_SA after IKE_AUTH) and the rekeys of both
 * have the virtual IP as their local selector too (issue 15) */
static void dynamic_local(void **state)
{
    (void)state;
    struct pair p;
    struct ike_ts_cfg dyn = { .dynamic = true, .port_lo = 0, .port_hi = 0xffff };
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.n_vips = 1;
    ca.vips[0].family = 4;
    ca.n_children = cb.n_children = 2;
    second_child(&ca);
    second_child(&cb);
    snprintf(ca.child[1].name, sizeof ca.child[1].name, "net2");
    snprintf(cb.child[1].name, sizeof cb.child[1].name, "net2");
    ca.child[0].local_ts[0] = ca.child[1].local_ts[0] = dyn; /* the default */
    ca.child[1].remote_ts[0] = cb.child[1].local_ts[0] = h_ts(10, 4, 0, 24);
    cb.child[0].remote_ts[0] = cb.child[1].remote_ts[0] = dyn;
    ca.child[0].rekey_time_s = ca.child[1].rekey_time_s = 60;
    cb.n_pools = 1;
    snprintf(cb.pools[0], sizeof cb.pools[0], "rw");
    pair_init(&p, &ca, &cb);
    struct ike_pool_cfg pool = { .name = "rw", .family = 4, .lo = { 10, 3, 0, 1 }, .hi = { 10, 3, 0, 50 } };
    assert_int_equal(ike_engine_set_pools(p.b.e, &pool, 1), 0);
    /*  HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SAi2, TSi 0.0.0.0/0, TSr 10.2.0.0/24}  -->
     *       <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY 10.3.0.1), SAr2, TSi 10.3.0.1/32, TSr 10.2.0.0/24} */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 1);
    assert_int_equal(p.a.vip_events, 1);
    assert_memory_equal(p.a.child.local_ts.lo, VIP1, 4);
    assert_memory_equal(p.a.child.local_ts.hi, VIP1, 4);
    assert_memory_equal(p.b.child.remote_ts.lo, VIP1, 4);
    assert_memory_equal(p.b.child.remote_ts.hi, VIP1, 4);
    /*  HDR, SK {SA, Ni, KEi, TSi 10.3.0.1/32, TSr 10.4.0.0/24}  -->
     *       <--  HDR, SK {SA, Nr, KEr, TSi 10.3.0.1/32, TSr 10.4.0.0/24} */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net2", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.b.child_up, 2);
    assert_string_equal(p.a.child.name, "net2");
    assert_memory_equal(p.a.child.local_ts.lo, VIP1, 4);
    assert_memory_equal(p.a.child.local_ts.hi, VIP1, 4);
    assert_memory_equal(p.a.child.remote_ts.lo, h_ts(10, 4, 0, 24).lo, 4);
    assert_memory_equal(p.b.child.remote_ts.lo, VIP1, 4);
    assert_memory_equal(p.b.child.remote_ts.hi, VIP1, 4);
    /* the client rekeys both every minute: each new Child SA keeps the vip */
    for (int k = 0; k < 4; k++) {
        uint64_t t = p.now + 30000;
        pair_run(&p, t);
        p.now = t;
        assert_memory_equal(p.a.child.local_ts.lo, VIP1, 4);
        assert_memory_equal(p.a.child.local_ts.hi, VIP1, 4);
        assert_memory_equal(p.b.child.remote_ts.hi, VIP1, 4);
    }
    assert_true(p.a.child_up >= 2 + 2);
    assert_true(h_count(p.a.log, "rekeying CHILD_SA net{") >= 1);
    assert_true(h_count(p.a.log, "rekeying CHILD_SA net2{") >= 1);
    assert_null(strstr(p.b.log, "TS_UNACCEPTABLE"));
    assert_null(strstr(p.a.log, "TS_UNACCEPTABLE"));
    pool_numbers(&p.b, 1, 0, 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(assigned),     cmocka_unit_test(reuse_and_rekey), cmocka_unit_test(exhausted),
        cmocka_unit_test(cp_required),  cmocka_unit_test(vip_outside_ts),  cmocka_unit_test(no_address),
        cmocka_unit_test(dual_stack),   cmocka_unit_test(dynamic_remote),  cmocka_unit_test(dynamic_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
