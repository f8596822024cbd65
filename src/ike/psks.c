/* psks: pre-shared keys looked up by identity when an IKE SA authenticates
 * (RFC 7296 2.15), so that one connection with remote.id = %any serves
 * road warriors that each have their own key (strongSwan's nat-rw-psk).
 *
 * The choice is charon's (credential_manager get_shared): each key is
 * graded by how well its ids match the peer's identity and ours (equal 20,
 * a wildcard pattern 19, %any 1, as ike_id_grade), a key whose ids match
 * neither is not a candidate, a key without ids stands for %any; the best
 * peer match wins, then the best match of ours, then the key listed first.
 * Unlike charon, which when verifying also tries the keys that match less
 * well, only the best key is used: a peer that has its own key cannot
 * authenticate with a group key it also matches.
 *
 * Cost: keys with ids without wildcards are found through a sorted index of
 * (identity hash, key) rows, a binary search per identity; the keys with no
 * ids or a pattern are looked at on every lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "cred/id.h"
#include "ike/ike_int.h"

/* an identity at its size, on the heap (NULL: no memory); %any has no bytes */
static struct ike_peer_id *id_of(uint8_t type, const uint8_t *data, size_t len)
{
    static const uint8_t none;
    return ike_peer_id_new(type, len ? data : &none, len);
}

static void ent_free(struct ike_psk_ent *en)
{
    secret_free(&en->key);
    for (unsigned k = 0; k < en->n_ids; k++)
        free(en->ids[k]);
    free(en->ids);
}

static void tab_free(struct ike_psktab *t)
{
    for (unsigned i = 0; i < t->n; i++)
        ent_free(&t->ent[i]);
    free(t->ent);
    free(t->id);
    free(t->wild);
    memset(t, 0, sizeof *t);
}

void ike_psks_free(struct ike_engine *e)
{
    tab_free(&e->psks);
}

static int ent_copy(const struct ike_psk *in, struct ike_psk_ent *en)
{
    if (!in->len)
        return KITE_E_INVALID_ARG;
    if (secret_from(&en->key, in->key, in->len))
        return KITE_E_NOMEM;
    en->ids = in->n_ids ? calloc(in->n_ids, sizeof *en->ids) : NULL;
    if (in->n_ids && !en->ids)
        return KITE_E_NOMEM;
    for (unsigned k = 0; k < in->n_ids; k++) {
        en->ids[k] = id_of(in->ids[k].type, in->ids[k].data, in->ids[k].len);
        if (!en->ids[k])
            return KITE_E_NOMEM;
        en->n_ids++;
    }
    return 0;
}

static int row_cmp(const void *a, const void *b)
{
    const struct ike_ix_row *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v);
}

/* rows for the ids without wildcards; the others' entries in wild */
static int tab_index(struct ike_engine *e, struct ike_psktab *t, size_t n_ids)
{
    t->id = n_ids ? calloc(n_ids, sizeof *t->id) : NULL;
    t->wild = t->n ? calloc(t->n, sizeof *t->wild) : NULL;
    if ((n_ids && !t->id) || (t->n && !t->wild))
        return KITE_E_NOMEM;
    for (unsigned i = 0; i < t->n; i++) {
        const struct ike_psk_ent *en = &t->ent[i];
        bool wild = !en->n_ids;
        for (unsigned k = 0; k < en->n_ids; k++) {
            struct span d = span_of(en->ids[k]->data, en->ids[k]->len);
            if (cred_id_is_wildcard(en->ids[k]->type, d))
                wild = true;
            else
                t->id[t->n_id++] = (struct ike_ix_row){ cred_id_hash(e->tab.key, en->ids[k]->type, d), (int)i };
        }
        if (wild)
            t->wild[t->n_wild++] = i;
    }
    if (t->n_id)
        qsort(t->id, t->n_id, sizeof *t->id, row_cmp);
    return 0;
}

int ike_engine_set_psks(struct ike_engine *e, const struct ike_psk *psks, size_t n)
{
    struct ike_psktab t = { 0 };
    size_t n_ids = 0;
    int rc = 0;
    t.ent = n ? calloc(n, sizeof *t.ent) : NULL;
    if (n && !t.ent)
        return KITE_E_NOMEM;
    for (size_t i = 0; i < n && !rc; i++, t.n++) {
        rc = ent_copy(&psks[i], &t.ent[i]);
        n_ids += psks[i].n_ids;
    }
    if (!rc)
        rc = tab_index(e, &t, n_ids);
    if (rc) {
        tab_free(&t);
        return rc;
    }
    tab_free(&e->psks);
    e->psks = t;
    return 0;
}

/* ---- lookup ---- */

struct want {
    const struct ike_peer_id *me, *other; /* NULL or type 0: %any */
    int best;
    unsigned best_me, best_other;
};

static unsigned grade_ids(const struct ike_psk_ent *en, const struct ike_peer_id *id)
{
    if (!en->n_ids) /* anyone's key: its owner is %any */
        return IKE_IDM_ANY;
    unsigned g = 0;
    for (unsigned k = 0; k < en->n_ids; k++) {
        unsigned x = ike_id_grade(en->ids[k]->type, span_of(en->ids[k]->data, en->ids[k]->len), id->type,
                                  span_of(id->data, id->len));
        g = x > g ? x : g;
    }
    return g;
}

static void consider(const struct ike_psktab *t, struct want *w, unsigned i)
{
    unsigned me = grade_ids(&t->ent[i], w->me), other = grade_ids(&t->ent[i], w->other);
    if (!me && !other)
        return;
    if (w->best < 0 || other > w->best_other || (other == w->best_other && me > w->best_me) ||
        (other == w->best_other && me == w->best_me && (int)i < w->best)) {
        w->best = (int)i;
        w->best_me = me;
        w->best_other = other;
    }
}

static void by_id(struct ike_engine *e, struct want *w, const struct ike_peer_id *id)
{
    const struct ike_psktab *t = &e->psks;
    uint64_t h = cred_id_hash(e->tab.key, id->type, span_of(id->data, id->len));
    unsigned a = 0, b = t->n_id;
    while (a < b) {
        unsigned m = a + (b - a) / 2;
        if (t->id[m].h < h)
            a = m + 1;
        else
            b = m;
    }
    for (; a < t->n_id && t->id[a].h == h; a++)
        consider(t, w, (unsigned)t->id[a].v);
}

static const struct secret *psk_find(struct ike_engine *e, const struct ike_peer_id *me,
                                     const struct ike_peer_id *other)
{
    struct want w = { me, other, -1, 0, 0 };
    const struct ike_psktab *t = &e->psks;
    by_id(e, &w, me);
    by_id(e, &w, other);
    for (unsigned k = 0; k < t->n_wild; k++)
        consider(t, &w, t->wild[k]);
    return w.best >= 0 ? &t->ent[w.best].key : NULL;
}


const struct secret *ike_psk_for(struct ike_engine *e, const struct ikesa *sa, const struct ike_id *peer)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    if (e->psk[sa->conn].n)
        return &e->psk[sa->conn];
    const struct ike_id_cfg *r = &c->remote_id;
    bool pat = !peer && cred_id_is_wildcard(r->type, span_of(r->data, r->len));
    const struct ike_peer_id *own = sa->own_id; /* ike_initiate_as: the SA's own identity */
    struct ike_peer_id *me = own ? id_of(own->type, own->data, own->len)
                                 : id_of(c->local_id.type, c->local_id.data, c->local_id.len);
    struct ike_peer_id *other = peer ? id_of(peer->type, peer->data.p, peer->data.n)
                                     : id_of(pat ? 0 : r->type, r->data, pat ? 0 : r->len);
    const struct secret *s = me && other ? psk_find(e, me, other) : NULL;
    if (!s && me && other) {
        char a[256], b[256];
        cred_id_format(me->type, span_of(me->data, me->len), a, sizeof a);
        cred_id_format(other->type, span_of(other->data, other->len), b, sizeof b);
        ike_log(e, LOG_CFG, 0, "no pre-shared key found for '%s' - '%s'", a, b);
    }
    free(me);
    free(other);
    return s;
}
