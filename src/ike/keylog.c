/* keylog: the IKE SA keys handed to the daemon for a Wireshark key log
 * (kited --keylog).  The engine writes no file: it queues the keys as an
 * action only when told to (ike_engine_set_keylog), so no copy of them
 * exists otherwise; the action is wiped when popped and by its consumer
 * (ike_next_action, ike_action_wipe). */
#include <string.h>
#include "ike/ike_int.h"

void ike_engine_set_keylog(struct ike_engine *e, bool on)
{
    e->keylog = on;
}

static uint8_t key_copy(uint8_t *dst, const struct secret *s)
{
    struct span k = secret_span(s);
    size_t n = k.n < IKE_KEY_MAX ? k.n : IKE_KEY_MAX;
    if (n)
        memcpy(dst, k.p, n);
    return (uint8_t)n;
}

void ike_keylog_push(struct ike_engine *e, const struct ikesa *sa)
{
    if (!e->keylog || !sa->keys_ready)
        return;
    struct ike_sa_keys *k = &ike_push(e, IKE_ACT_IKE_KEYS, sa)->ike_keys;
    memcpy(k->spi_i, sa->spi_i, 8);
    memcpy(k->spi_r, sa->spi_r, 8);
    k->encr = sa->algs.encr->id;
    k->encr_bits = sa->algs.encr->key_bits;
    k->integ = sa->algs.integ ? sa->algs.integ->id : 0;
    k->ek_len = key_copy(k->sk_ei, &sa->keys.sk_ei);
    key_copy(k->sk_er, &sa->keys.sk_er);
    k->ak_len = sa->algs.integ ? key_copy(k->sk_ai, &sa->keys.sk_ai) : 0;
    if (k->ak_len)
        key_copy(k->sk_ar, &sa->keys.sk_ar);
}
