/* Road warriors at one responder (issue 13): several initiator engines and
 * one gateway engine in one process, datagrams routed by address.  The
 * gateway chooses its connection as charon does (ike/connsel.c) and looks
 * the PSK up by the peer's identity at IKE_AUTH (ike/psks.c), strongSwan's
 * nat-rw-psk shape: one %any connection, a secret per peer.
 *
 *   HDR, SAi1, KEi, Ni  -->                        connection by addresses
 *   HDR, SK {IDi, [IDr], AUTH, SAi2, TSi, TSr} --> connection by identities,
 *                                                  PSK by IDi and local.id
 *                      <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 *                      <--  HDR, SK {N(AUTHENTICATION_FAILED)} */
#include "harness.h"
#include "cred/id.h"

enum { NP = 6, LOG_CAP = 1 << 17 };

struct node {
    uint64_t rng;
    struct ike_engine *e;
    uint8_t last;                 /* 192.0.2.<last> */
    int ike_up, ike_down, child_up;
    char up_conn[IKE_NAME_MAX];   /* the connection of its last IKE_UP */
    char down[160];
    char log[LOG_CAP];
    size_t log_len;
};

struct net {
    struct node gw, peer[NP];
    int n;
    uint64_t now;
};

static void n_log(void *ctx, int subsys, int level, const char *msg)
{
    struct node *s = (struct node *)((char *)ctx - offsetof(struct node, rng));
    (void)subsys;
    (void)level;
    int k = snprintf(s->log + s->log_len, sizeof s->log - s->log_len, "%s\n", msg);
    if (k > 0 && (size_t)k < sizeof s->log - s->log_len)
        s->log_len += (size_t)k;
    if (getenv("KITE_TEST_LOG"))
        fprintf(stderr, "  %u: %s\n", s->last, msg);
}

static void node_init(struct node *s, uint8_t last)
{
    memset(s, 0, sizeof *s);
    s->rng = 0x9e3779b9u * (last + 1u);
    s->last = last;
    struct ike_env env = { &s->rng, h_random, n_log, 0, h_wall };
    s->e = ike_engine_new(&env);
    assert_non_null(s->e);
    (void)h_log;
}

static struct net *net_new(int n)
{
    struct net *t = calloc(1, sizeof *t);
    assert_non_null(t);
    node_init(&t->gw, 1);
    for (int i = 0; i < n; i++)
        node_init(&t->peer[i], (uint8_t)(11 + i));
    t->n = n;
    t->now = 1000;
    return t;
}

static void net_free(struct net *t)
{
    ike_engine_free(t->gw.e);
    for (int i = 0; i < t->n; i++)
        ike_engine_free(t->peer[i].e);
    free(t);
}

static struct ike_id_cfg idc(const char *text)
{
    struct ike_id_cfg id;
    size_t len = 0;
    memset(&id, 0, sizeof id);
    assert_int_equal(cred_id_parse(text, &id.type, id.data, sizeof id.data, &len), 0);
    id.len = (uint16_t)len;
    return id;
}

static const char *const IKE = "aes256gcm16 prfsha256 x25519", *const ESP = "aes256gcm16";

/* road warrior i (192.0.2.<11+i>, 10.<11+i>.0.0/24) as `id`, to gw.example */
static struct ike_conn_cfg rw_conn(int i, const char *id, const char *psk)
{
    struct ike_conn_cfg c = h_conn((uint8_t)(11 + i), 1, IKE, ESP, psk ? psk : "");
    c.local_id = idc(id);
    c.remote_id = idc("gw.example");
    return c;
}

/* the gateway's connection: 192.0.2.1 to %any (or `remote`), remote.id */
static struct ike_conn_cfg gw_conn(const char *name, uint8_t remote, const char *rid, const char *ike, const char *psk)
{
    struct ike_conn_cfg c = h_conn(1, remote, ike ? ike : IKE, ESP, psk ? psk : "");
    snprintf(c.name, sizeof c.name, "%s", name);
    if (!remote)
        memset(&c.remote, 0, sizeof c.remote);
    c.local_id = idc("gw.example");
    c.remote_id = idc(rid);
    c.child[0].remote_ts[0] = h_ts(10, 0, 0, 8);
    return c;
}

static void add(struct node *s, const struct ike_conn_cfg *c)
{
    assert_int_equal(ike_engine_add_conn(s->e, c), 0);
}

/* the gateway's secrets: "id,id=key" or "=key" (no ids) */
static void secrets(struct node *s, const char *const *spec, int n)
{
    struct ike_psk p[8];
    struct ike_psk_id ids[16];
    struct ike_id_cfg idv[16];
    char buf[8][128];
    int k = 0;
    for (int i = 0; i < n; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", spec[i]);
        char *eq = strrchr(buf[i], '=');
        *eq = 0;
        p[i] = (struct ike_psk){ (const uint8_t *)eq + 1, strlen(eq + 1), 0, &ids[k] };
        char *save = NULL;
        for (char *t = strtok_r(buf[i], ",", &save); t; t = strtok_r(NULL, ",", &save), k++, p[i].n_ids++) {
            idv[k] = idc(t);
            ids[k] = (struct ike_psk_id){ idv[k].type, idv[k].len, idv[k].data };
        }
    }
    assert_int_equal(ike_engine_set_psks(s->e, p, (size_t)n), 0);
}

static struct node *by_addr(struct net *t, const struct ike_addr *a)
{
    if (a->ip[3] == 1)
        return &t->gw;
    for (int i = 0; i < t->n; i++)
        if (t->peer[i].last == a->ip[3])
            return &t->peer[i];
    return NULL;
}

static int drain_node(struct net *t, struct node *from)
{
    struct ike_action *a = malloc(sizeof *a);
    int n = 0;
    assert_non_null(a);
    while (ike_next_action(from->e, a)) {
        n++;
        struct node *to = a->type == IKE_ACT_SEND ? by_addr(t, &a->remote) : NULL;
        if (to)
            ike_recv(to->e, a->data, a->len, &a->remote, &a->local, t->now);
        if (a->type == IKE_ACT_IKE_UP) {
            from->ike_up++;
            snprintf(from->up_conn, sizeof from->up_conn, "%s", a->conn);
        }
        if (a->type == IKE_ACT_IKE_DOWN) {
            from->ike_down++;
            snprintf(from->down, sizeof from->down, "%s", a->reason);
        }
        from->child_up += a->type == IKE_ACT_CHILD_UP;
        ike_action_wipe(a);
    }
    free(a);
    return n;
}

static uint64_t next_deadline(struct net *t)
{
    uint64_t d = ike_next_deadline(t->gw.e);
    for (int i = 0; i < t->n; i++) {
        uint64_t x = ike_next_deadline(t->peer[i].e);
        d = x < d ? x : d;
    }
    return d;
}

static void net_run(struct net *t, uint64_t until)
{
    for (int guard = 0; guard < 100000; guard++) {
        int n = drain_node(t, &t->gw);
        for (int i = 0; i < t->n; i++)
            n += drain_node(t, &t->peer[i]);
        if (n)
            continue;
        uint64_t next = next_deadline(t);
        if (next == UINT64_MAX || next > until)
            return;
        t->now = next > t->now ? next : t->now;
        ike_tick(t->gw.e, t->now);
        for (int i = 0; i < t->n; i++)
            ike_tick(t->peer[i].e, t->now);
    }
    fail_msg("the exchanges did not settle");
}

static void start_all(struct net *t)
{
    for (int i = 0; i < t->n; i++)
        assert_int_equal(ike_initiate(t->peer[i].e, "lab", NULL, t->now), 0);
    net_run(t, t->now + 10000);
}

static void expect_log(const struct node *s, const char *what)
{
    if (!strstr(s->log, what))
        fail_msg("expected '%s' in the log of 192.0.2.%u:\n%s", what, s->last, s->log);
}

static void expect_up(const struct node *s, const char *conn)
{
    if (s->ike_up != 1 || s->child_up != 1 || s->ike_down)
        fail_msg("192.0.2.%u: %d IKE_UP, %d CHILD_UP, %d IKE_DOWN (%s); log:\n%s", s->last, s->ike_up, s->child_up,
                 s->ike_down, s->down, s->log);
    if (conn)
        assert_string_equal(s->up_conn, conn);
}

static void expect_refused(const struct node *s)
{
    assert_int_equal(s->ike_up, 0);
    assert_int_equal(s->child_up, 0);
    assert_int_equal(s->ike_down, 1);
    assert_non_null(strstr(s->down, "AUTHENTICATION_FAILED"));
}

static const char *const PEER_SECRETS[] = { "peer0@example.com=key-of-peer-zero", "peer1@example.com=key-of-peer-one",
                                            "peer2@example.com=key-of-peer-two" };

/* three road warriors, one %any connection, a secret each: all up, each
 * with its own key; the keys never reach a log */
static void three_peers_own_keys(void **s)
{
    (void)s;
    struct net *t = net_new(3);
    struct ike_conn_cfg c = gw_conn("rw", 0, "%any", NULL, NULL);
    add(&t->gw, &c);
    secrets(&t->gw, PEER_SECRETS, 3);
    const char *keys[] = { "key-of-peer-zero", "key-of-peer-one", "key-of-peer-two" };
    for (int i = 0; i < 3; i++) {
        char id[64];
        snprintf(id, sizeof id, "peer%d@example.com", i);
        c = rw_conn(i, id, keys[i]);
        add(&t->peer[i], &c);
    }
    start_all(t);
    for (int i = 0; i < 3; i++)
        expect_up(&t->peer[i], "lab");
    assert_int_equal(t->gw.ike_up, 3);
    assert_int_equal(t->gw.child_up, 3);
    expect_log(&t->gw, "authentication of 'peer1@example.com' with pre-shared key successful");
    for (int i = 0; i < 3; i++)
        assert_null(strstr(t->gw.log, keys[i]));
    net_free(t);
}

/* peer 1 uses peer 0's key, peer 2 has none at the gateway: both refused
 * with AUTHENTICATION_FAILED, peer 0 comes up beside them */
static void wrong_or_missing_key_refused(void **s)
{
    (void)s;
    struct net *t = net_new(3);
    struct ike_conn_cfg c = gw_conn("rw", 0, "%any", NULL, NULL);
    add(&t->gw, &c);
    secrets(&t->gw, PEER_SECRETS, 2); /* none for peer2 */
    c = rw_conn(0, "peer0@example.com", "key-of-peer-zero");
    add(&t->peer[0], &c);
    c = rw_conn(1, "peer1@example.com", "key-of-peer-zero");
    add(&t->peer[1], &c);
    c = rw_conn(2, "peer2@example.com", "key-of-peer-two");
    add(&t->peer[2], &c);
    start_all(t);
    expect_up(&t->peer[0], "lab");
    expect_refused(&t->peer[1]);
    expect_refused(&t->peer[2]);
    assert_int_equal(t->gw.ike_up, 1);
    expect_log(&t->gw, "authentication of 'peer1@example.com' failed: pre-shared key mismatch");
    expect_log(&t->gw, "no pre-shared key found for 'gw.example' - 'peer2@example.com'");
    expect_log(&t->gw, "authentication of 'peer2@example.com' failed: no pre-shared key for its identity");
    assert_null(strstr(t->gw.log, "key-of-peer"));
    net_free(t);
}

/* charon's choice among keys: the best match of the peer's identity, then
 * of ours: both ids over the peer's id over a pattern over no ids; only the
 * best is tried, so peer 0 cannot use the pattern's key */
static void best_key_wins(void **s)
{
    (void)s;
    static const char *const spec[] = { "=group-key", "*@example.com=pattern-key", "peer0@example.com=own-key",
                                        "gw.example,peer1@example.com=both-key", "peer1@example.com=peer1-only" };
    struct { const char *id, *key; bool ok; } want[] = {
        { "peer0@example.com", "own-key", true },      { "peer1@example.com", "both-key", true },
        { "peer2@example.com", "pattern-key", true },  { "carol@other.org", "group-key", true },
        { "peer0@example.com", "pattern-key", false }, { "peer1@example.com", "peer1-only", false },
    };
    struct net *t = net_new(6);
    struct ike_conn_cfg c = gw_conn("rw", 0, "%any", NULL, NULL);
    add(&t->gw, &c);
    secrets(&t->gw, spec, 5);
    for (int i = 0; i < 6; i++) {
        c = rw_conn(i, want[i].id, want[i].key);
        add(&t->peer[i], &c);
    }
    start_all(t);
    for (int i = 0; i < 6; i++) {
        if (want[i].ok)
            expect_up(&t->peer[i], "lab");
        else
            expect_refused(&t->peer[i]);
    }
    net_free(t);
}

/* the initiator looks its key up too: by local.id and remote.id */
static void initiator_key_by_identity(void **s)
{
    (void)s;
    static const char *const gw_spec[] = { "peer0@example.com=k0" };
    static const char *const rw_spec[] = { "other.example=wrong", "gw.example,peer0@example.com=k0" };
    struct net *t = net_new(1);
    struct ike_conn_cfg c = gw_conn("rw", 0, "%any", NULL, NULL);
    add(&t->gw, &c);
    secrets(&t->gw, gw_spec, 1);
    c = rw_conn(0, "peer0@example.com", NULL);
    add(&t->peer[0], &c);
    secrets(&t->peer[0], rw_spec, 2);
    start_all(t);
    expect_up(&t->peer[0], "lab");
    net_free(t);
}

/* IKE_SA_INIT by addresses: the connection naming the peer's address beats
 * the %any one, whichever was loaded first */
static void exact_address_beats_any(void **s)
{
    (void)s;
    struct net *t = net_new(2);
    struct ike_conn_cfg c = gw_conn("anyone", 0, "%any", NULL, "k");
    add(&t->gw, &c);
    c = gw_conn("site12", 12, "%any", NULL, "k");
    add(&t->gw, &c);
    for (int i = 0; i < 2; i++) {
        char id[64];
        snprintf(id, sizeof id, "peer%d@example.com", i);
        c = rw_conn(i, id, "k");
        add(&t->peer[i], &c);
    }
    start_all(t);
    expect_up(&t->peer[0], "lab");
    expect_up(&t->peer[1], "lab");
    expect_log(&t->gw, "selected peer config 'anyone'");
    expect_log(&t->gw, "selected peer config 'site12'");
    assert_int_equal(h_count(t->gw.log, "selected peer config 'site12'"), 1);
    net_free(t);
}

/* IKE_AUTH by identities: both connections fit the addresses; IKE_SA_INIT
 * takes the first, the identities move the IKE SA to the second, whose
 * own key it then uses */
static void switch_at_ike_auth(void **s)
{
    (void)s;
    struct net *t = net_new(1);
    struct ike_conn_cfg c = gw_conn("alice", 0, "alice@example.com", NULL, "alice-key");
    add(&t->gw, &c);
    c = gw_conn("bob", 0, "bob@example.com", NULL, "bob-key");
    add(&t->gw, &c);
    c = rw_conn(0, "bob@example.com", "bob-key");
    add(&t->peer[0], &c);
    start_all(t);
    expect_up(&t->peer[0], "lab");
    expect_up(&t->gw, "bob");
    expect_log(&t->gw, "switching from connection 'alice' to 'bob'");
    /* the handshake is counted for the connection it ended on */
    struct ike_counters k;
    assert_true(ike_engine_counters(t->gw.e, "bob", &k));
    assert_int_equal(k.c[IKE_CTR_HS_STARTED], 1);
    assert_int_equal(k.c[IKE_CTR_HS_ESTABLISHED], 1);
    assert_true(ike_engine_counters(t->gw.e, "alice", &k));
    assert_int_equal(k.c[IKE_CTR_HS_STARTED], 0);
    assert_true(ike_engine_counters(t->gw.e, NULL, &k));
    assert_int_equal(k.c[IKE_CTR_HS_STARTED], 1);
    net_free(t);
}

/* remote.id equal beats a wildcard pattern beats %any; the IDr a peer asks
 * for must be our local.id */
static void identity_grades(void **s)
{
    (void)s;
    struct net *t = net_new(4);
    struct ike_conn_cfg c = gw_conn("any", 0, "%any", NULL, "k");
    add(&t->gw, &c);
    c = gw_conn("pattern", 0, "*@example.com", NULL, "k");
    add(&t->gw, &c);
    c = gw_conn("bob", 0, "bob@example.com", NULL, "k");
    add(&t->gw, &c);
    c = gw_conn("gw2", 0, "%any", NULL, "k");
    c.local_id = idc("gw2.example");
    add(&t->gw, &c);
    const char *ids[] = { "bob@example.com", "carol@example.com", "dave@other.org", "erin@other.org" };
    const char *conn[] = { "bob", "pattern", "any", "gw2" };
    for (int i = 0; i < 4; i++) {
        c = rw_conn(i, ids[i], "k");
        if (i == 3)
            c.remote_id = idc("gw2.example"); /* sent as IDr */
        add(&t->peer[i], &c);
    }
    for (int i = 0; i < 4; i++) {
        t->gw.up_conn[0] = 0;
        int before = t->gw.ike_up;
        assert_int_equal(ike_initiate(t->peer[i].e, "lab", NULL, t->now), 0);
        net_run(t, t->now + 10000);
        expect_up(&t->peer[i], "lab");
        assert_int_equal(t->gw.ike_up, before + 1);
        assert_string_equal(t->gw.up_conn, conn[i]);
    }
    net_free(t);
}

/* no connection's remote.id fits the peer: refused, nothing up */
static void wrong_peer_refused(void **s)
{
    (void)s;
    struct net *t = net_new(2);
    struct ike_conn_cfg c = gw_conn("alice", 0, "alice@example.com", NULL, "k");
    add(&t->gw, &c);
    c = gw_conn("staff", 0, "*@staff.example.com", NULL, "k");
    add(&t->gw, &c);
    c = rw_conn(0, "mallory@example.com", "k");
    add(&t->peer[0], &c);
    c = rw_conn(1, "x@staff.example.com", "k");
    c.remote_id = idc("other-gw.example"); /* asks for an IDr we are not */
    add(&t->peer[1], &c);
    start_all(t);
    expect_refused(&t->peer[0]);
    expect_refused(&t->peer[1]);
    assert_int_equal(t->gw.ike_up, 0);
    expect_log(&t->gw, "no connection matches 'mallory@example.com'");
    expect_log(&t->gw, "no connection matches 'x@staff.example.com' from 192.0.2.12[500] (IDr 'other-gw.example')");
    net_free(t);
}

/* a connection the identities fit better but whose IKE proposals do not
 * hold the algorithms IKE_SA_INIT chose is passed over (charon's "ignore
 * candidate without matching IKE proposal"); at IKE_SA_INIT a connection
 * whose proposals do not fit gives way to the next (charon's "alternative
 * config") */
static void proposals_constrain_the_choice(void **s)
{
    (void)s;
    struct net *t = net_new(2);
    struct ike_conn_cfg c = gw_conn("aes128", 0, "%any", "aes128gcm16 prfsha256 x25519", "k");
    add(&t->gw, &c);
    c = gw_conn("aes256", 0, "%any", NULL, "k");
    add(&t->gw, &c);
    c = gw_conn("bob128", 0, "bob@example.com", "aes128gcm16 prfsha256 x25519", "k");
    add(&t->gw, &c);
    c = rw_conn(0, "bob@example.com", "k"); /* offers aes256 only */
    add(&t->peer[0], &c);
    c = rw_conn(1, "bob@example.com", "k");
    c.ike[0] = h_prop("aes128gcm16 prfsha256 x25519");
    add(&t->peer[1], &c);
    assert_int_equal(ike_initiate(t->peer[0].e, "lab", NULL, t->now), 0);
    net_run(t, t->now + 10000);
    expect_up(&t->peer[0], "lab");
    assert_string_equal(t->gw.up_conn, "aes256");
    assert_int_equal(ike_initiate(t->peer[1].e, "lab", NULL, t->now), 0);
    net_run(t, t->now + 10000);
    expect_up(&t->peer[1], "lab");
    assert_string_equal(t->gw.up_conn, "bob128");
    net_free(t);
}

/* 3,000 connections, one per road warrior identity, all on %any: each
 * peer lands on its own connection, and a connection loaded, removed and
 * loaded again is found (the indexes follow the table) */
static void many_connections(void **s)
{
    (void)s;
    enum { N = 3000 };
    struct net *t = net_new(3);
    struct ike_conn_cfg *c = malloc(sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        char id[64];
        snprintf(id, sizeof id, "user%d@example.com", i);
        *c = gw_conn("", 0, id, NULL, "k");
        snprintf(c->name, sizeof c->name, "user%d", i);
        add(&t->gw, c);
    }
    assert_int_equal(ike_engine_remove_conn(t->gw.e, "user1500", t->now), 0);
    *c = gw_conn("user1500", 0, "user1500@example.com", NULL, "k");
    assert_int_equal(ike_engine_load_conn(t->gw.e, c, t->now), IKE_CONN_ADDED);
    const int who[] = { 2999, 1500, 7 };
    for (int i = 0; i < 3; i++) {
        char id[64], name[32];
        snprintf(id, sizeof id, "user%d@example.com", who[i]);
        *c = rw_conn(i, id, "k");
        add(&t->peer[i], c);
        assert_int_equal(ike_initiate(t->peer[i].e, "lab", NULL, t->now), 0);
        net_run(t, t->now + 10000);
        expect_up(&t->peer[i], "lab");
        snprintf(name, sizeof name, "user%d", who[i]);
        assert_string_equal(t->gw.up_conn, name);
    }
    free(c);
    net_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_peers_own_keys),
        cmocka_unit_test(wrong_or_missing_key_refused),
        cmocka_unit_test(best_key_wins),
        cmocka_unit_test(initiator_key_by_identity),
        cmocka_unit_test(exact_address_beats_any),
        cmocka_unit_test(switch_at_ike_auth),
        cmocka_unit_test(identity_grades),
        cmocka_unit_test(wrong_peer_refused),
        cmocka_unit_test(proposals_constrain_the_choice),
        cmocka_unit_test(many_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
