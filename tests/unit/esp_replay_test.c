/* esp/replay: edge cases of the anti-replay window (RFC 4303 3.4.3) and of
 * ESN inference (Appendix A2), and a differential test against a naive
 * model (every accepted number kept in a set) on random sequences, in the
 * manner of WireGuard's replay self-test. */
#include "testutil.h"
#include "esp/replay.h"
#include <stdlib.h>
#include <string.h>

/* receive one number the way decap does: check with the low 32 bits, the
 * "ICV" passes only when the inference found the number really sent */
static int recv_seq(struct esp_replay *r, uint64_t sent)
{
    uint64_t seq;
    int rc = esp_replay_check(r, (uint32_t)sent, &seq);
    if (rc)
        return rc;
    if (seq != sent)
        return KITE_E_INTEGRITY;
    return esp_replay_update(r, seq);
}

static void test_window_zero(void **state)
{
    (void)state;
    struct esp_replay r;
    assert_int_equal(esp_replay_init(&r, 0, false), 0);
    assert_int_equal(recv_seq(&r, 5), 0);
    assert_int_equal(recv_seq(&r, 5), 0); /* duplicates pass: no protection */
    assert_int_equal(recv_seq(&r, 1), 0);
    assert_int_equal(recv_seq(&r, 0), KITE_E_REPLAY); /* never sent */
    assert_int_equal(r.top, 5);
}

static void test_duplicates_and_edge(void **state)
{
    (void)state;
    struct esp_replay r;
    uint64_t seq;
    assert_int_equal(esp_replay_init(&r, 64, false), 0);
    assert_int_equal(recv_seq(&r, 0), KITE_E_REPLAY);
    assert_int_equal(recv_seq(&r, 100), 0);
    assert_int_equal(recv_seq(&r, 100), KITE_E_REPLAY);
    /* 100 - 37 = 63: the last number inside a 64-packet window */
    assert_int_equal(recv_seq(&r, 37), 0);
    assert_int_equal(recv_seq(&r, 37), KITE_E_REPLAY);
    assert_int_equal(recv_seq(&r, 36), KITE_E_REPLAY);
    assert_int_equal(recv_seq(&r, 99), 0);
    assert_int_equal(recv_seq(&r, 101), 0);
    assert_int_equal(recv_seq(&r, 37), KITE_E_REPLAY); /* now left of the window */
    /* the check changes nothing; the update refuses a number seen meanwhile */
    assert_int_equal(esp_replay_check(&r, 90, &seq), 0);
    assert_int_equal(esp_replay_check(&r, 90, &seq), 0);
    assert_int_equal(esp_replay_update(&r, 90), 0);
    assert_int_equal(esp_replay_update(&r, 90), KITE_E_REPLAY);
    esp_replay_free(&r);
}

static void test_far_ahead(void **state)
{
    (void)state;
    struct esp_replay r;
    assert_int_equal(esp_replay_init(&r, 4096, false), 0);
    for (uint64_t s = 1; s <= 5000; s += 3)
        assert_int_equal(recv_seq(&r, s), 0);
    assert_int_equal(recv_seq(&r, 1000000), 0);
    assert_int_equal(recv_seq(&r, 4999), KITE_E_REPLAY);
    /* everything in the new window is unseen, even where old bits were */
    for (uint64_t s = 1000000 - 4095; s < 1000000; s++)
        assert_int_equal(recv_seq(&r, s), 0);
    assert_int_equal(recv_seq(&r, 1000000 - 4096), KITE_E_REPLAY);
    assert_int_equal(recv_seq(&r, UINT32_MAX), 0);
    esp_replay_free(&r);
    assert_int_equal(esp_replay_init(&r, ESP_REPLAY_MAX + 1, false), KITE_E_INVALID_ARG);
}

static void test_esn_wrap(void **state)
{
    (void)state;
    struct esp_replay r;
    uint64_t seq;
    const uint64_t base = UINT64_C(0xfffffff0);
    assert_int_equal(esp_replay_init(&r, 64, true), 0);
    /* from the start: a low half near 2^32 would be from before number 1 */
    assert_int_equal(esp_replay_check(&r, 0xfffffff0, &seq), KITE_E_REPLAY);
    esp_replay_seed(&r, base);
    /* low 32 bits wrap: 5 is 2^32 + 5 */
    assert_int_equal(esp_replay_check(&r, 5, &seq), 0);
    assert_int_equal(seq, (UINT64_C(1) << 32) + 5);
    assert_int_equal(recv_seq(&r, (UINT64_C(1) << 32) + 5), 0);
    /* late packets from below the wrap still land in the old subspace */
    assert_int_equal(esp_replay_check(&r, 0xfffffffa, &seq), 0);
    assert_int_equal(seq, UINT64_C(0xfffffffa));
    assert_int_equal(recv_seq(&r, 0xfffffffa), 0);
    assert_int_equal(recv_seq(&r, 0xfffffffa), KITE_E_REPLAY);
    assert_int_equal(recv_seq(&r, base), KITE_E_REPLAY);
    /* low half 0 is a valid number past the first subspace */
    assert_int_equal(recv_seq(&r, UINT64_C(1) << 32), 0);
    /* up to 2^64 - 1, and nothing after */
    esp_replay_seed(&r, UINT64_MAX - 1);
    assert_int_equal(recv_seq(&r, UINT64_MAX), 0);
    assert_int_equal(esp_replay_check(&r, 3, &seq), KITE_E_REPLAY);
    esp_replay_free(&r);
}

/* issue 13 (per-SA memory): the window's ring is sized by the window, not
 * by the largest one: the default 32 packets and an outbound SA (0) fit the
 * struct, which stays small; 64 and more get a ring of their size */
static void test_ring_sized_by_window(void **state)
{
    (void)state;
    struct esp_replay r;
    assert_true(sizeof r <= 64);
    const uint32_t inline_sizes[] = { 0, 1, 32, 63 };
    for (size_t i = 0; i < sizeof inline_sizes / sizeof inline_sizes[0]; i++) {
        assert_int_equal(esp_replay_init(&r, inline_sizes[i], false), 0);
        assert_null(r.big);
        esp_replay_free(&r);
    }
    /* 63 inline: the whole window and the word being filled are kept */
    assert_int_equal(esp_replay_init(&r, 63, false), 0);
    for (uint64_t s = 1; s <= 199; s += 2) /* odd numbers: top 199, window 137..199 */
        assert_int_equal(recv_seq(&r, s), 0);
    for (uint64_t s = 137; s <= 199; s += 2)
        assert_int_equal(recv_seq(&r, s), KITE_E_REPLAY);
    for (uint64_t s = 138; s <= 198; s += 2)
        assert_int_equal(recv_seq(&r, s), 0);
    assert_int_equal(recv_seq(&r, 136), KITE_E_REPLAY); /* left of the window */
    esp_replay_free(&r);
    assert_int_equal(esp_replay_init(&r, 64, false), 0);
    assert_non_null(r.big);
    assert_int_equal(r.mask + 1, 4);
    esp_replay_free(&r);
    assert_int_equal(esp_replay_init(&r, ESP_REPLAY_MAX, false), 0);
    assert_int_equal(r.mask + 1, 128);
    esp_replay_free(&r);
}

static void test_seq_next(void **state)
{
    (void)state;
    uint64_t n;
    assert_int_equal(esp_seq_next(0, false, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(esp_seq_next(UINT32_MAX - 1, false, &n), 0);
    assert_int_equal(n, UINT32_MAX);
    assert_int_equal(esp_seq_next(UINT32_MAX, false, &n), KITE_E_SEQ_EXHAUSTED);
    assert_int_equal(esp_seq_next(UINT32_MAX, true, &n), 0);
    assert_int_equal(n, UINT64_C(1) << 32);
    assert_int_equal(esp_seq_next(UINT64_MAX - 1, true, &n), 0);
    assert_int_equal(n, UINT64_MAX);
    assert_int_equal(esp_seq_next(UINT64_MAX, true, &n), KITE_E_SEQ_EXHAUSTED);
}

/* ---- the naive model: every accepted number in an open-addressing set ---- */
enum { SET_CAP = 1 << 17 };

struct naive {
    uint64_t *set; /* 0 = empty (0 is never accepted) */
    uint64_t top;
    uint32_t size;
};

static bool naive_seen(const struct naive *m, uint64_t s)
{
    for (size_t i = (size_t)(s * 0x9e3779b97f4a7c15u >> 47);; i = (i + 1) % SET_CAP) {
        if (m->set[i] == s)
            return true;
        if (!m->set[i])
            return false;
    }
}

static void naive_add(struct naive *m, uint64_t s)
{
    size_t i = (size_t)(s * 0x9e3779b97f4a7c15u >> 47);
    while (m->set[i] && m->set[i] != s)
        i = (i + 1) % SET_CAP;
    m->set[i] = s;
}

static bool naive_recv(struct naive *m, uint64_t s)
{
    bool ok = s != 0 && (!m->size || s > m->top || (m->top - s < m->size && !naive_seen(m, s)));
    if (ok) {
        naive_add(m, s);
        if (s > m->top)
            m->top = s;
    }
    return ok;
}

static uint64_t rnd(void)
{
    return (uint64_t)rand() << 31 ^ (uint64_t)rand();
}

/* mostly in order, some reordering, duplicates, jumps ahead and far back;
 * never further than 2^31 from the top so that ESN inference is defined */
static uint64_t pick(uint64_t top, uint32_t size, const uint64_t *recent, size_t nrecent)
{
    uint64_t w = size ? size : 1024, s;
    switch (rand() % 8) {
    case 0: s = nrecent ? recent[rand() % nrecent] : top; break;   /* duplicate */
    case 1: s = top - (rnd() % (2 * w + 2)); break;               /* around the edge */
    case 2: s = top + 1 + rnd() % (8 * w); break;                 /* jump */
    case 3: s = top - w + 1 - rnd() % 3; break;                   /* right at the edge */
    case 4: s = top + 1 + rnd() % 0x7fffffff; break;              /* far ahead */
    default: s = top + 1 + rnd() % 4; break;                      /* in order */
    }
    /* a step back past 0 wrapped around: use 0, which is never accepted */
    return s > top && top - s <= 2 * w + 3 ? 0 : s;
}

static void differential(uint32_t size, bool esn, uint64_t start, unsigned seed)
{
    static uint64_t set[SET_CAP];
    uint64_t recent[32] = { 0 };
    struct naive m = { set, start, size };
    struct esp_replay r;
    memset(set, 0, sizeof set);
    srand(seed);
    assert_int_equal(esp_replay_init(&r, size, esn), 0);
    esp_replay_seed(&r, start);
    if (start)
        naive_add(&m, start);
    for (int i = 0; i < 20000; i++) {
        uint64_t s = pick(m.top, size, recent, 32);
        if (!esn)
            s &= UINT32_MAX;
        /* without a window, inference takes the nearest subspace: a number
         * more than 2^31 behind cannot be told from one ahead (by design) */
        if (esn && !size && s < m.top && m.top - s >= UINT64_C(0x80000000))
            continue;
        bool want = naive_recv(&m, s);
        int rc = recv_seq(&r, s);
        if ((rc == 0) != want)
            fail_msg("size %u esn %d step %d: seq %llx top %llx: model %d, window %s", size, esn,
                     i, (unsigned long long)s, (unsigned long long)r.top, want,
                     kite_errname(rc));
        if (want)
            recent[i % 32] = s;
        assert_true(r.top == m.top);
        if (!esn && m.top > UINT32_MAX - 0x100000000ull / 4)
            break; /* near the end of 32-bit space */
    }
    esp_replay_free(&r);
}

static void test_differential(void **state)
{
    (void)state;
    const uint32_t sizes[] = { 0, 1, 32, 64, 65, 1000, 4096 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        differential(sizes[i], false, 0, 1 + (unsigned)i);
        differential(sizes[i], true, 0, 100 + (unsigned)i);
        differential(sizes[i], true, UINT64_C(0xffff0000), 200 + (unsigned)i);
        differential(sizes[i], true, UINT64_C(0x7fffffffffff0000), 300 + (unsigned)i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_zero),   cmocka_unit_test(test_duplicates_and_edge),
        cmocka_unit_test(test_far_ahead),     cmocka_unit_test(test_esn_wrap),
        cmocka_unit_test(test_seq_next),      cmocka_unit_test(test_differential),
        cmocka_unit_test(test_ring_sized_by_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
