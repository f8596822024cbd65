/* IKE engines behind a virtual NAT on one virtual clock (RFC 7296 2.23,
 * RFC 3948): what each side detects and reports, the move to port 4500, IKE
 * on 4500 from the start, keepalives from the side behind the NAT, a NAT
 * mapping that changes mid-session (the responder follows the new port seen
 * on an authenticated message, the side behind the NAT does not), and two
 * initiators behind one NAT address told apart.
 *
 *   192.168.1.2 (A1) ─┐
 *                     ├─ NAT 198.51.100.1 (source ports rewritten) ── 192.0.2.2 (B)
 *   192.168.1.3 (A2) ─┘                                                          */
#include "harness.h"

static const char *PSK = "nat-test-psk-0123456789";
static const uint8_t NAT_IP[4] = { 198, 51, 100, 1 };

enum { NODES = 3, MAPS = 32 };

struct node {
    struct side s; /* engine, rng, log and counters (harness.h) */
    struct ike_addr addr;
    bool natted;
    int moved;
    struct ike_addr moved_to;
    int keepalives;
    uint64_t ka_at[64];
    struct ike_child_sa children[4];
    int n_children;
    struct ike_action first_send;
    bool sent_any;
    struct ike_addr last_to; /* where its last datagram went */
};

struct net {
    struct node n[NODES];
    int count;
    uint64_t now;
    struct {
        bool used;
        uint8_t ip[4];
        uint16_t port, pub;
    } map[MAPS];
    uint16_t next_pub;
    int dropped;
    bool spoof;                /* datagrams of node 0 seem to come from spoof_src */
    struct ike_addr spoof_src;
};

static struct ike_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct ike_addr x = { .family = 4, .ip = { a, b, c, d }, .port = port };
    return x;
}

/* the NAT's outbound half: a mapping per private address and port */
static struct ike_addr nat_out(struct net *net, const struct ike_addr *src)
{
    int free_slot = -1;
    for (int i = 0; i < MAPS; i++) {
        if (net->map[i].used && !memcmp(net->map[i].ip, src->ip, 4) && net->map[i].port == src->port)
            return addr4(NAT_IP[0], NAT_IP[1], NAT_IP[2], NAT_IP[3], net->map[i].pub);
        if (!net->map[i].used && free_slot < 0)
            free_slot = i;
    }
    assert_true(free_slot >= 0);
    net->map[free_slot].used = true;
    memcpy(net->map[free_slot].ip, src->ip, 4);
    net->map[free_slot].port = src->port;
    net->map[free_slot].pub = net->next_pub++;
    return addr4(NAT_IP[0], NAT_IP[1], NAT_IP[2], NAT_IP[3], net->map[free_slot].pub);
}

/* the inbound half: only to a mapped port */
static bool nat_in(struct net *net, struct ike_addr *dst)
{
    for (int i = 0; i < MAPS; i++)
        if (net->map[i].used && net->map[i].pub == dst->port) {
            *dst = addr4(net->map[i].ip[0], net->map[i].ip[1], net->map[i].ip[2], net->map[i].ip[3], net->map[i].port);
            return true;
        }
    return false;
}

/* a port forward: the NAT sends pub to the private address and port, and
 * that private port leaves as pub */
static void nat_forward(struct net *net, const uint8_t ip[4], uint16_t port, uint16_t pub)
{
    for (int i = 0; i < MAPS; i++)
        if (!net->map[i].used) {
            net->map[i].used = true;
            memcpy(net->map[i].ip, ip, 4);
            net->map[i].port = port;
            net->map[i].pub = pub;
            return;
        }
    fail_msg("no room for a forward");
}

/* the NAT reboots (conntrack flushed): every mapping gets a new port */
static void nat_flush(struct net *net)
{
    memset(net->map, 0, sizeof net->map);
}

static struct node *node_at(struct net *net, const struct ike_addr *a)
{
    for (int i = 0; i < net->count; i++)
        if (!memcmp(net->n[i].addr.ip, a->ip, 4))
            return &net->n[i];
    return NULL;
}

static void route(struct net *net, struct node *from, const struct ike_action *a)
{
    struct ike_addr src = a->local, dst = a->remote;
    if (from->natted)
        src = nat_out(net, &src);
    if (net->spoof && from == &net->n[0])
        src = net->spoof_src;
    if (!memcmp(dst.ip, NAT_IP, 4) && !nat_in(net, &dst)) {
        net->dropped++;
        return;
    }
    struct node *to = node_at(net, &dst);
    if (!to || to == from) {
        net->dropped++;
        return;
    }
    ike_recv(to->s.e, a->data, a->len, &dst, &src, net->now);
}

static int node_drain(struct net *net, struct node *nd)
{
    struct ike_action *a = malloc(sizeof *a);
    int n = 0;
    assert_non_null(a);
    while (ike_next_action(nd->s.e, a)) {
        n++;
        switch (a->type) {
        case IKE_ACT_SEND:
            if (!nd->sent_any)
                nd->first_send = *a;
            nd->sent_any = true;
            nd->last_to = a->remote;
            route(net, nd, a);
            break;
        case IKE_ACT_KEEPALIVE:
            if (nd->natted)
                nat_out(net, &a->local); /* it keeps (or makes) the mapping */
            if (nd->keepalives < 64)
                nd->ka_at[nd->keepalives] = net->now;
            nd->keepalives++;
            break;
        case IKE_ACT_IKE_MOVED:
            nd->moved++;
            nd->moved_to = a->remote;
            for (int i = 0; i < nd->n_children; i++)
                if (nd->children[i].ike_sa == a->ike_sa)
                    nd->children[i].remote = a->remote;
            break;
        case IKE_ACT_IKE_UP: nd->s.ike_up++; break;
        case IKE_ACT_IKE_DOWN:
            nd->s.ike_down++;
            snprintf(nd->s.down_reason, sizeof nd->s.down_reason, "%s", a->reason);
            break;
        case IKE_ACT_CHILD_UP:
            nd->s.child_up++;
            if (nd->n_children < 4)
                nd->children[nd->n_children++] = a->child;
            break;
        default: break;
        }
        ike_action_wipe(a);
    }
    free(a);
    return n;
}

static void net_run(struct net *net, uint64_t until)
{
    for (int guard = 0; guard < 100000; guard++) {
        int n = 0;
        for (int i = 0; i < net->count; i++)
            n += node_drain(net, &net->n[i]);
        if (n)
            continue;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < net->count; i++) {
            uint64_t d = ike_next_deadline(net->n[i].s.e);
            next = d < next ? d : next;
        }
        if (next == UINT64_MAX || next > until)
            return;
        if (next > net->now)
            net->now = next;
        for (int i = 0; i < net->count; i++)
            ike_tick(net->n[i].s.e, net->now);
    }
    fail_msg("the exchange did not settle");
}

static void node_add(struct net *net, struct ike_addr addr, bool natted, const struct ike_conn_cfg *c)
{
    struct node *nd = &net->n[net->count++];
    memset(nd, 0, sizeof *nd);
    nd->s.rng = 0x1234567u + (uint64_t)net->count * 0x9e3779b9u;
    nd->addr = addr;
    nd->natted = natted;
    struct ike_env env = { &nd->s.rng, h_random, h_log };
    nd->s.e = ike_engine_new(&env);
    assert_non_null(nd->s.e);
    assert_int_equal(ike_engine_add_conn(nd->s.e, c), 0);
}

static void net_init(struct net *net)
{
    memset(net, 0, sizeof *net);
    net->now = 1000;
    net->next_pub = 30000;
}

static void net_free(struct net *net)
{
    for (int i = 0; i < net->count; i++)
        ike_engine_free(net->n[i].s.e);
}

/* an initiator at 192.168.1.<me> (10.<me>.0.0/24, ID "a<me>") to B */
static struct ike_conn_cfg conn_a(uint8_t me)
{
    struct ike_conn_cfg c = h_conn(me, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    c.local = addr4(192, 168, 1, me, 500);
    c.local_id = (struct ike_id_cfg){ .type = IKEV2_ID_FQDN, .len = 2, .data = { 'a', (uint8_t)('0' + me) } };
    c.keepalive_ms = 2000;
    return c;
}

/* B at 192.0.2.2 (10.2.0.0/24) for any peer in 10.0.0.0/8 */
static struct ike_conn_cfg conn_b(void)
{
    struct ike_conn_cfg c = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    memset(&c.remote, 0, sizeof c.remote);
    memset(&c.remote_id, 0, sizeof c.remote_id);
    c.child[0].remote_ts[0] = h_ts(10, 0, 0, 8);
    c.keepalive_ms = 2000;
    return c;
}

static const char *status_of(struct node *nd, char *buf, size_t cap)
{
    for (unsigned i = 0; i < ike_sa_slots(nd->s.e); i++)
        if (ike_sa_status(nd->s.e, (int)i, buf, cap))
            return buf;
    fail_msg("no IKE SA");
    return NULL;
}

/* the node's engine again with another configuration */
static void node_reconf(struct node *nd, const struct ike_conn_cfg *c)
{
    ike_engine_free(nd->s.e);
    struct ike_env env = { &nd->s.rng, h_random, h_log };
    nd->s.e = ike_engine_new(&env);
    assert_non_null(nd->s.e);
    assert_int_equal(ike_engine_add_conn(nd->s.e, c), 0);
}

/* A behind the NAT (or, without, at 192.0.2.1) and B */
static void setup(struct net *net, bool natted)
{
    net_init(net);
    struct ike_conn_cfg a = conn_a(1), b = conn_b();
    if (!natted)
        a.local = addr4(192, 0, 2, 1, 500);
    node_add(net, a.local, natted, &a);
    node_add(net, addr4(192, 0, 2, 2, 500), false, &b);
}

static void behind_nat_detected_and_reported(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, true);
    struct node *a = &net.n[0], *b = &net.n[1];
    assert_int_equal(ike_initiate(a->s.e, "lab", NULL, net.now), 0);
    net_run(&net, net.now + 1000);
    assert_int_equal(a->s.ike_up, 1);
    assert_int_equal(b->s.ike_up, 1);
    /* A's address and port were rewritten: it knows it is behind the NAT */
    assert_non_null(strstr(a->s.log, "local host is behind NAT"));
    assert_non_null(strstr(status_of(a, s, sizeof s), "NAT: local, keepalive every 2000 ms"));
    assert_non_null(strstr(s, "192.168.1.1[4500]...192.0.2.2[4500]"));
    assert_non_null(strstr(s, "IKE on the NAT-T port"));
    /* B saw the rewritten port 30000 (not an IKE port): a real NAT, not a faked hash */
    assert_non_null(strstr(b->s.log, "remote host is behind NAT (the peer sends from 198.51.100.1[30000]"));
    status_of(b, s, sizeof s);
    assert_non_null(strstr(s, "NAT: remote"));
    assert_null(strstr(s, "faked"));
    assert_null(strstr(s, "keepalive")); /* B is not behind a NAT */
    assert_non_null(strstr(s, "192.0.2.2[4500]...198.51.100.1[30001]")); /* A's 4500 mapped to 30001 */
    /* the Child SAs: ESP in UDP between A's 4500 and the NAT's mapping of it */
    assert_int_equal(a->n_children, 1);
    assert_int_equal(b->n_children, 1);
    assert_true(a->children[0].encap);
    assert_true(b->children[0].encap);
    assert_int_equal(a->children[0].local.port, 4500);
    assert_int_equal(a->children[0].remote.port, 4500);
    assert_int_equal(b->children[0].remote.port, 30001);
    assert_int_equal(b->children[0].local.port, 4500);
    net_free(&net);
}

static void faked_detection_is_reported_as_such(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, false);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1);
    ca.local = addr4(192, 0, 2, 1, 500);
    ca.encap = true; /* strongSwan's encap = yes: a random NATD_S_IP */
    node_reconf(a, &ca);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(b->s.ike_up, 1);
    assert_non_null(strstr(status_of(a, s, sizeof s), "NAT: none, faked by us (encap = yes)"));
    assert_null(strstr(s, "keepalive")); /* faking is not being behind a NAT */
    assert_non_null(strstr(status_of(b, s, sizeof s), "NAT: remote (or faked by the peer)"));
    assert_non_null(strstr(b->s.log, "or the peer fakes its NAT_DETECTION_SOURCE_IP"));
    assert_true(a->children[0].encap);
    assert_true(b->children[0].encap);
    assert_int_equal(b->children[0].remote.port, 4500);
    assert_int_equal(a->keepalives + b->keepalives, 0);
    net_free(&net);
}

static void no_nat_no_encapsulation(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, false);
    ike_initiate(net.n[0].s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 10000);
    assert_non_null(strstr(status_of(&net.n[0], s, sizeof s), "NAT: none"));
    assert_non_null(strstr(s, "IKE on the IKE port"));
    assert_non_null(strstr(status_of(&net.n[1], s, sizeof s), "NAT: none"));
    assert_false(net.n[0].children[0].encap);
    assert_false(net.n[1].children[0].encap);
    assert_int_equal(net.n[0].keepalives + net.n[1].keepalives, 0);
    net_free(&net);
}

/* the daemon's route lookup (ike_env.source): 192.0.2.1 toward anyone */
static int source_192_0_2_1(void *ctx, const struct ike_addr *remote, struct ike_addr *out)
{
    (void)ctx;
    *out = addr4(192, 0, 2, 1, 0);
    return remote->family == 4 ? 0 : -1;
}

/* local_addrs = %any, no NAT: with the host's source address known
 * (ike_env.source) the NATD_S_IP is true and nobody encapsulates; the
 * random hash made both ends see a NAT and use UDP encapsulation */
static void any_local_with_known_source(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, false);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1);
    ca.local = (struct ike_addr){ .port = 500 }; /* %any */
    ike_engine_free(a->s.e);
    struct ike_env env = { &a->s.rng, h_random, h_log, .source = source_192_0_2_1 };
    a->s.e = ike_engine_new(&env);
    assert_non_null(a->s.e);
    assert_int_equal(ike_engine_add_conn(a->s.e, &ca), 0);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 10000);
    assert_int_equal(b->s.ike_up, 1);
    assert_non_null(strstr(status_of(a, s, sizeof s), "NAT: none"));
    assert_null(strstr(s, "faked"));
    assert_non_null(strstr(status_of(b, s, sizeof s), "NAT: none"));
    assert_false(a->children[0].encap);
    assert_false(b->children[0].encap);
    net_free(&net);
}

/* remote_port = 4500: IKE_SA_INIT already from and to 4500, with the marker */
static void remote_port_4500_from_the_start(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, true);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1);
    ca.remote.port = 4500;
    node_reconf(a, &ca);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_true(a->sent_any);
    assert_int_equal(a->first_send.local.port, 4500);
    assert_int_equal(a->first_send.remote.port, 4500);
    assert_true(a->first_send.marker);
    assert_true(b->sent_any);
    assert_int_equal(b->first_send.local.port, 4500); /* answered on 4500 */
    assert_true(b->first_send.marker);
    assert_int_equal(a->s.ike_up, 1);
    assert_int_equal(b->s.ike_up, 1);
    assert_non_null(strstr(status_of(b, s, sizeof s), "192.0.2.2[4500]...198.51.100.1[30000]"));
    assert_true(b->children[0].encap);
    assert_int_equal(b->children[0].remote.port, 30000); /* only one mapping: 4500 */
    net_free(&net);
}

static void keepalives_from_the_side_behind_nat(void **st)
{
    (void)st;
    struct net net;
    setup(&net, true);
    struct node *a = &net.n[0], *b = &net.n[1];
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 500);
    assert_int_equal(a->s.ike_up, 1);
    uint64_t t0 = net.now; /* the IKE_AUTH request went out at about t0 */
    net_run(&net, t0 + 10500);
    assert_int_equal(b->keepalives, 0);
    assert_int_equal(a->keepalives, 5);
    for (int i = 1; i < 5; i++)
        assert_int_equal(a->ka_at[i] - a->ka_at[i - 1], 2000);
    assert_true(a->ka_at[0] - t0 <= 2000);
    /* ESP went out 1500 ms after the last one: no keepalive until 2000 ms after that */
    uint64_t last = a->ka_at[4];
    ike_nat_sent(a->s.e, a->children[0].ike_sa, last + 1500);
    assert_int_equal(ike_next_deadline(a->s.e), last + 3500);
    net_free(&net);
}

/* the NAT loses its mappings; A's next IKE message (DPD) comes from new ports */
static void mapping_change_followed_by_the_responder(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, true);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1);
    ca.dpd_delay_ms = 5000;
    ca.keepalive_ms = 0;
    node_reconf(a, &ca);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(b->children[0].remote.port, 30001);
    nat_flush(&net);
    net_run(&net, net.now + 5500); /* the DPD request: from 198.51.100.1[30002] */
    assert_int_equal(b->moved, 1);
    assert_int_equal(b->moved_to.port, 30002);
    assert_int_equal(b->children[0].remote.port, 30002);
    assert_non_null(strstr(b->s.log, "the peer moved from 198.51.100.1[30001] to 198.51.100.1[30002]"));
    assert_non_null(strstr(status_of(b, s, sizeof s), "...198.51.100.1[30002]"));
    /* B's answer went to the new port and reached A: no retransmission */
    struct ike_stats sa_st;
    ike_engine_stats(a->s.e, &sa_st);
    assert_int_equal(sa_st.retransmits, 0);
    assert_int_equal(net.dropped, 0);
    assert_int_equal(a->moved, 0);
    /* the side behind the NAT does not follow a changed peer address (2.23) */
    struct ike_addr other = addr4(192, 0, 2, 99, 4500), mine = addr4(192, 168, 1, 1, 4500);
    assert_int_equal(ike_nat_seen(a->s.e, a->children[0].ike_sa, &mine, &other, net.now), 0);
    assert_int_equal(node_drain(&net, a), 0);
    assert_non_null(strstr(status_of(a, s, sizeof s), "...192.0.2.2[4500]"));
    /* authenticated new ESP from yet another port moves B again */
    struct ike_addr b_local = addr4(192, 0, 2, 2, 4500), newer = addr4(198, 51, 100, 1, 30077);
    assert_int_equal(ike_nat_seen(b->s.e, b->children[0].ike_sa, &b_local, &newer, net.now), 1);
    node_drain(&net, b);
    assert_int_equal(b->moved, 2);
    assert_int_equal(b->children[0].remote.port, 30077);
    assert_int_equal(ike_nat_seen(b->s.e, b->children[0].ike_sa, &b_local, &newer, net.now), 0); /* same again */
    assert_int_equal(ike_nat_seen(b->s.e, 12345, &b_local, &newer, net.now), 0); /* no such IKE SA */
    ike_engine_stats(b->s.e, &sa_st);
    assert_int_equal(sa_st.moved, 2);
    net_free(&net);
}

/* MOBIKE (RFC 4555 3.5) with A, behind the NAT, as its initiator: its
 * liveness checks carry NAT detection, and when B's answer shows the NAT
 * mapped A anew (or A has not yet seen a mapping) A says so with
 * UPDATE_SA_ADDRESSES, as charon does: a MOBIKE responder (charon) does not
 * follow a new mapping by itself */
static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void mobike_client_tells_a_new_mapping(void **st)
{
    (void)st;
    struct net net;
    setup(&net, true);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1);
    ca.dpd_delay_ms = 5000;
    ca.keepalive_ms = 0;
    ca.mobike_client = true;
    node_reconf(a, &ca);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_non_null(strstr(a->s.log, "N(MOBIKE_SUPPORTED)"));
    /* the first check: NAT detection both ways; no mapping seen before: told */
    net_run(&net, net.now + 5500);
    assert_non_null(strstr(a->s.log, "generating INFORMATIONAL request 2 [ N(NATD_S_IP) N(NATD_D_IP) ]"));
    assert_non_null(strstr(b->s.log, "generating INFORMATIONAL response 2 [ N(NATD_S_IP) N(NATD_D_IP) ]"));
    assert_int_equal(count_of(a->s.log, "mapped us anew"), 1);
    assert_non_null(strstr(a->s.log, "generating INFORMATIONAL request 3 [ N(UPDATE_SA_ADDRESSES) N(NATD_S_IP) N(NATD_D_IP) ]"));
    assert_non_null(strstr(b->s.log, "UPDATE_SA_ADDRESSES from 198.51.100.1[30001], where it is already"));
    /* the next check, the mapping unchanged: no update */
    net_run(&net, net.now + 5500);
    assert_non_null(strstr(a->s.log, "generating INFORMATIONAL request 4 [ N(NATD_S_IP) N(NATD_D_IP) ]"));
    assert_int_equal(count_of(a->s.log, "N(UPDATE_SA_ADDRESSES)"), 1);
    /* the NAT reboots: the next check shows the new mapping, A tells B */
    nat_flush(&net);
    net_run(&net, net.now + 5500);
    assert_int_equal(count_of(a->s.log, "mapped us anew"), 2);
    assert_int_equal(count_of(a->s.log, "N(UPDATE_SA_ADDRESSES)"), 2);
    assert_int_equal(count_of(b->s.log, "parsed INFORMATIONAL request 6 [ N(UPDATE_SA_ADDRESSES)"), 1);
    assert_int_equal(b->children[0].remote.port, 30002);
    assert_int_equal(a->s.ike_down + b->s.ike_down, 0);
    net_free(&net);
}

/* either side follows (2.23): here the initiator, its responder behind a NAT
 * that forwards 500 and 4500 to it; the forward of 4500 changes to 4600 */
static void initiator_follows_a_responder_behind_nat(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    net_init(&net);
    static const uint8_t priv[4] = { 192, 168, 1, 1 };
    struct ike_conn_cfg cr = conn_b(), ci = conn_a(2);
    cr.local = addr4(192, 168, 1, 1, 500);
    cr.local_id = (struct ike_id_cfg){ .type = IKEV2_ID_FQDN, .len = 1, .data = { 'r' } };
    cr.dpd_delay_ms = 5000;
    ci.local = addr4(192, 0, 2, 2, 500);
    ci.remote = addr4(198, 51, 100, 1, 500);
    ci.remote_id = cr.local_id;
    ci.child[0].local_ts[0] = h_ts(10, 2, 0, 24);
    ci.child[0].remote_ts[0] = h_ts(10, 1, 0, 24);
    cr.child[0].local_ts[0] = h_ts(10, 1, 0, 24);
    node_add(&net, cr.local, true, &cr);  /* the responder, behind the NAT */
    node_add(&net, ci.local, false, &ci); /* the initiator */
    struct node *r = &net.n[0], *i = &net.n[1];
    nat_forward(&net, priv, 500, 500);
    nat_forward(&net, priv, 4500, 4500);
    ike_initiate(i->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(i->s.ike_up, 1);
    assert_int_equal(r->s.ike_up, 1);
    assert_non_null(strstr(status_of(i, s, sizeof s), "...198.51.100.1[4500]"));
    assert_non_null(strstr(s, "NAT: remote (or faked by the peer)")); /* the forward kept the ports */
    assert_non_null(strstr(status_of(r, s, sizeof s), "NAT: local"));
    nat_flush(&net);
    nat_forward(&net, priv, 500, 500);
    nat_forward(&net, priv, 4500, 4600);
    net_run(&net, net.now + 5500); /* the responder's DPD request leaves as 4600 */
    assert_int_equal(i->moved, 1);
    assert_int_equal(i->moved_to.port, 4600);
    assert_int_equal(i->children[0].remote.port, 4600);
    assert_non_null(strstr(status_of(i, s, sizeof s), "...198.51.100.1[4600]"));
    assert_non_null(strstr(s, "NAT: remote")); /* proven now */
    assert_null(strstr(s, "faked"));
    struct ike_stats rst;
    ike_engine_stats(r->s.e, &rst);
    assert_int_equal(rst.retransmits, 0); /* answered at the new port */
    assert_int_equal(r->moved, 0);
    net_free(&net);
}

/* a host with no NAT in front of its peer does not follow a changed address */
static void no_nat_no_following(void **st)
{
    (void)st;
    struct net net;
    setup(&net, false);
    struct node *b = &net.n[1];
    ike_initiate(net.n[0].s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    struct ike_addr b_local = addr4(192, 0, 2, 2, 500), other = addr4(192, 0, 2, 77, 500);
    assert_int_equal(ike_nat_seen(b->s.e, b->children[0].ike_sa, &b_local, &other, net.now), 0);
    node_drain(&net, b);
    assert_int_equal(b->moved, 0);
    net_free(&net);
}

/* transport mode: B names A by the NAT's address in the Child SA it installs (2.23.1) */
static void transport_mode_behind_nat(void **st)
{
    (void)st;
    struct net net;
    setup(&net, true);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1), cb = conn_b();
    ca.child[0].transport = cb.child[0].transport = true;
    ca.child[0].local_ts[0] = h_ts(192, 168, 1, 24);
    ca.child[0].remote_ts[0] = h_ts(192, 0, 2, 24);
    cb.child[0].local_ts[0] = h_ts(192, 0, 2, 24);
    cb.child[0].remote_ts[0] = h_ts(192, 168, 1, 24);
    node_reconf(a, &ca);
    node_reconf(b, &cb);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(a->n_children, 1);
    assert_int_equal(b->n_children, 1);
    assert_true(a->children[0].transport && b->children[0].transport);
    assert_true(a->children[0].encap && b->children[0].encap);
    static const uint8_t nat[4] = { 198, 51, 100, 1 };
    assert_memory_equal(b->children[0].remote_ts.lo, nat, 4);
    assert_memory_equal(b->children[0].remote_ts.hi, nat, 4);
    assert_non_null(strstr(b->s.log, "transport mode behind NAT"));
    /* A's peer is not behind a NAT: its selectors stay as negotiated */
    assert_int_equal(a->children[0].remote_ts.lo[0], 192);
    assert_int_equal(a->children[0].remote_ts.lo[1], 0);
    assert_int_equal(a->children[0].local_ts.lo[1], 168);
    net_free(&net);
}

/* a request from an address the responder does not follow is still
 * answered there (2.11), and the IKE SA keeps its address */
static void unfollowed_request_answered_where_it_came_from(void **st)
{
    (void)st;
    struct net net;
    char s[512];
    setup(&net, false);
    struct node *a = &net.n[0], *b = &net.n[1];
    struct ike_conn_cfg ca = conn_a(1);
    ca.local = addr4(192, 0, 2, 1, 500);
    ca.dpd_delay_ms = 5000;
    node_reconf(a, &ca);
    ike_initiate(a->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(b->s.ike_up, 1);
    net.spoof = true;
    net.spoof_src = addr4(192, 0, 2, 77, 500);
    net_run(&net, net.now + 5500); /* A's DPD request, seemingly from 192.0.2.77 */
    assert_non_null(strstr(b->s.log, "authenticated IKE message from 192.0.2.77[500] instead of 192.0.2.1[500], "
                                     "not followed (no NAT detected in front of the peer)"));
    assert_int_equal(b->last_to.ip[3], 77); /* the answer went there */
    assert_int_equal(b->moved, 0);
    assert_non_null(strstr(status_of(b, s, sizeof s), "...192.0.2.1[500]"));
    assert_true(net.dropped >= 1); /* nobody at 192.0.2.77 */
    net_free(&net);
}

static void two_initiators_behind_one_nat(void **st)
{
    (void)st;
    struct net net;
    net_init(&net);
    struct ike_conn_cfg a1 = conn_a(1), a3 = conn_a(3), b = conn_b();
    node_add(&net, addr4(192, 168, 1, 1, 500), true, &a1);
    node_add(&net, addr4(192, 0, 2, 2, 500), false, &b);
    node_add(&net, addr4(192, 168, 1, 3, 500), true, &a3);
    struct node *n1 = &net.n[0], *nb = &net.n[1], *n3 = &net.n[2];
    ike_initiate(n1->s.e, "lab", NULL, net.now);
    ike_initiate(n3->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(n1->s.ike_up, 1);
    assert_int_equal(n3->s.ike_up, 1);
    assert_int_equal(nb->s.ike_up, 2);
    assert_int_equal(nb->s.ike_down, 0); /* A3's INITIAL_CONTACT did not close A1's IKE SA */
    assert_int_equal(nb->n_children, 2);
    const struct ike_child_sa *c1 = &nb->children[0], *c3 = &nb->children[1];
    assert_true(c1->ike_sa != c3->ike_sa);
    assert_true(c1->spi_in != c3->spi_in);
    assert_true(!memcmp(c1->remote.ip, c3->remote.ip, 4)); /* one public address */
    assert_true(c1->remote.port != c3->remote.port);       /* two ports */
    assert_true(c1->encap && c3->encap);
    assert_int_equal(c1->remote_ts.lo[1] + c3->remote_ts.lo[1], 1 + 3); /* 10.1/24 and 10.3/24 */
    struct ike_stats bst;
    ike_engine_stats(nb->s.e, &bst);
    assert_int_equal(bst.ike_sas, 2);
    /* ESP in UDP with an unknown SPI from A3's NAT mapping: INVALID_SPI goes
     * to A3, the peer at that address and port, not to A1 at the same address */
    assert_int_equal(ike_esp_unknown_spi(nb->s.e, 0x00c0ffee, &c3->remote, net.now), 0);
    net_run(&net, net.now + 100);
    assert_non_null(strstr(n3->s.log, "received INVALID_SPI for SPI 00c0ffee"));
    assert_null(strstr(n1->s.log, "received INVALID_SPI"));
    /* A3 restarts: its new IKE SA's INITIAL_CONTACT closes only A3's old one */
    node_reconf(n3, &a3);
    ike_initiate(n3->s.e, "lab", NULL, net.now);
    net_run(&net, net.now + 1000);
    assert_int_equal(nb->s.ike_up, 3);
    assert_int_equal(nb->s.ike_down, 1);
    assert_non_null(strstr(nb->s.down_reason, "INITIAL_CONTACT"));
    ike_engine_stats(nb->s.e, &bst);
    assert_int_equal(bst.ike_sas, 2);
    net_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(behind_nat_detected_and_reported),
        cmocka_unit_test(faked_detection_is_reported_as_such),
        cmocka_unit_test(any_local_with_known_source), cmocka_unit_test(no_nat_no_encapsulation),
        cmocka_unit_test(remote_port_4500_from_the_start),
        cmocka_unit_test(keepalives_from_the_side_behind_nat),
        cmocka_unit_test(mapping_change_followed_by_the_responder),
        cmocka_unit_test(initiator_follows_a_responder_behind_nat),
        cmocka_unit_test(mobike_client_tells_a_new_mapping),
        cmocka_unit_test(no_nat_no_following),
        cmocka_unit_test(transport_mode_behind_nat),
        cmocka_unit_test(unfollowed_request_answered_where_it_came_from),
        cmocka_unit_test(two_initiators_behind_one_nat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
