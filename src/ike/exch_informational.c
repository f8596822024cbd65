/*  HDR, SK {[N,] [D,] ...}  -->
 *                     <--  HDR, SK {[N,] [D,] ...}
 * RFC 7296 1.4 (the INFORMATIONAL exchange), 1.4.1 (Delete), 1.5 and 2.21
 * (INVALID_SPI), 2.4 (liveness).  An empty request is a liveness check and
 * is answered empty; a Delete of the IKE SA ends it; a Delete of ESP SPIs
 * closes those Child SAs and is answered with the Delete of the paired
 * inbound SPIs, except for SAs whose Delete we sent ourselves (1.4.1, the
 * crossing case); N(INVALID_SPI) names one of our outbound SPIs the peer
 * does not know, and that Child SA is dropped and created again;
 * N(AUTHENTICATION_FAILED) from an initiator that rejected our IKE_AUTH
 * response ends the IKE SA (2.21.2). */
#include <string.h>
#include "base/log.h"
#include "base/rd.h"
#include "base/wr.h"
#include "ike/ike_int.h"

/* the peer deleted the SA that was to replace the one with inbound SPI
 * spi_in (it could not install its rekey): that one is not replaced any more
 * and is rekeyed again in time */
static void child_unreplace(struct ike_engine *e, struct ikesa *sa, uint32_t spi_in)
{
    struct ike_child_st *old = spi_in ? ike_child_by_spi_in(sa, spi_in) : NULL;
    if (!old || !old->rekeyed || old->deleting)
        return;
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at && ike_sa_child(sa, i)->replaces == spi_in)
            return; /* another SA replaces it */
    old->rekeyed = false;
    ike_log(e, LOG_IKE, 1, "CHILD_SA with SPI %08x_i stays: the SA replacing it was deleted", spi_in);
}

/* a Delete of ESP SPIs: each Child SA whose outbound SPI is named goes, and
 * the response names our inbound SPIs of them; returns how many */
static size_t child_delete(struct ike_engine *e, struct ikesa *sa, const struct ike_delete *del, uint8_t *spi_be,
                           size_t max, uint64_t now)
{
    struct rd r;
    size_t n = 0;
    rd_init(&r, del->spis.p, del->spis.n);
    for (uint16_t i = 0; i < del->count && del->spi_size == 4; i++) {
        uint32_t spi;
        if (rd_be32(&r, &spi))
            break;
        struct ike_child_st *c = ike_child_by_spi_out(sa, spi);
        if (!c) {
            ike_log(e, LOG_IKE, 1, "received DELETE for unknown ESP SPI %08x, ignored", spi);
            continue;
        }
        if (c->deleting) {
            /* both ends closed it at once (1.4.1): no Delete payload for it
             * in our answer; its inbound half goes with the answer to ours */
            ike_log(e, LOG_IKE, 1, "received DELETE for ESP CHILD_SA with SPI %08x that we are deleting too", spi);
            continue;
        }
        ike_log(e, LOG_IKE, 1, "received DELETE for ESP CHILD_SA with SPI %08x", spi);
        if (n < max) {
            struct wr w;
            wr_init(&w, spi_be + 4 * n, 4);
            wr_be32(&w, c->spi_in);
            n++;
        }
        if (c->rekeyed)
            ike_child_retire(e, sa, c, now); /* replaced: what is in flight still decrypts */
        else {
            uint32_t replaced = c->replaces;
            int cfg = c->cfg;
            ike_child_remove(e, sa, c, "deleted by the peer");
            child_unreplace(e, sa, replaced);
            ike_life_child_closed(e, sa, cfg, now); /* close_action */
        }
    }
    return n;
}

/* the same peer: the connection, host and authenticated identity */
static bool same_peer(const struct ikesa *a, const struct ikesa *b)
{
    if (a->conn != b->conn || !ike_addr_same_host(&a->remote, &b->remote) || !a->peer_id != !b->peer_id)
        return false;
    return !a->peer_id || (a->peer_id->type == b->peer_id->type && a->peer_id->len == b->peer_id->len &&
                           !memcmp(a->peer_id->data, b->peer_id->data, a->peer_id->len));
}

/* our Child SA with outbound SPI spi: on the IKE SA the notify came over, or
 * on another established one with the same peer (both ends initiated at once):
 * the peer's data plane reports an SPI it lacks over whichever IKE SA it has
 * with us, not knowing which one the SPI belonged to (1.5) */
static struct ike_child_st *child_for_invalid_spi(struct ike_engine *e, struct ikesa **sa, uint32_t spi)
{
    struct ike_child_st *c = ike_child_by_spi_out(*sa, spi);
    for (struct ikesa *o = ike_sa_by_host(e, &(*sa)->remote, NULL); !c && o; o = ike_sa_by_host(e, &(*sa)->remote, o))
        if (o != *sa && o->state == IKE_S_ESTABLISHED && same_peer(o, *sa) && (c = ike_child_by_spi_out(o, spi))) {
            ike_sa_touch(e, o);
            *sa = o;
        }
    return c;
}

/* N(INVALID_SPI) with one of our outbound SPIs: the peer has no such SA */
static void invalid_spi(struct ike_engine *e, struct ikesa *sa, const struct ike_notify *n, uint64_t now)
{
    struct rd r;
    uint32_t spi;
    rd_init(&r, n->data.p, n->data.n);
    if (rd_be32(&r, &spi) || !rd_done(&r)) {
        ike_log(e, LOG_IKE, 1, "received INVALID_SPI without a 4-byte SPI, ignored");
        return;
    }
    struct ike_child_st *c = child_for_invalid_spi(e, &sa, spi);
    if (!c) {
        ike_log(e, LOG_IKE, 1, "received INVALID_SPI for SPI %08x, which is not one of ours, ignored", spi);
        return;
    }
    ike_log(e, LOG_IKE, 0, "peer reports INVALID_SPI for our outbound SPI %08x: it lost that CHILD_SA", spi);
    if (c->rekeyed || c->deleting)
        ike_child_remove(e, sa, c, "unknown to the peer (INVALID_SPI), already replaced");
    else
        ike_child_lost(e, sa, c, "unknown to the peer (INVALID_SPI)", now);
}

int ike_informational_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint32_t msgid,
                              uint64_t now)
{
    struct ike_pld reply[4];
    uint8_t natd[2][20];
    size_t n_spis = 0, room = (size_t)ike_child_slots(sa);
    uint8_t *spi_be = malloc(4 * room);
    if (!spi_be)
        return KITE_E_NOMEM;
    unsigned n_reply = 0;
    const struct ike_pld *del = ike_chain_find(in, IKEV2_PLD_DELETE, 0);
    for (size_t i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        if (p->type == IKEV2_PLD_DELETE && p->u.del.proto == IKEV2_PROTO_ESP)
            n_spis += child_delete(e, sa, &p->u.del, spi_be + 4 * n_spis, room - n_spis, now);
        else if (p->type == IKEV2_PLD_NOTIFY && p->u.notify.type == IKEV2_N_INVALID_SPI)
            invalid_spi(e, sa, &p->u.notify, now);
    }
    if (n_spis) {
        memset(&reply[0], 0, sizeof reply[0]);
        reply[0].type = IKEV2_PLD_DELETE;
        reply[0].u.del.proto = IKEV2_PROTO_ESP;
        reply[0].u.del.spi_size = 4;
        reply[0].u.del.count = (uint16_t)n_spis;
        reply[0].u.del.spis = (struct span){ spi_be, 4 * n_spis };
        n_reply = 1;
    }
    n_reply += ike_mobike_request(e, sa, in, reply + n_reply, natd);
    ike_send_sk(e, sa, IKEV2_EXCH_INFORMATIONAL, n_reply ? reply : NULL, n_reply, true, msgid, now);
    free(spi_be);
    if (ike_chain_notify(in, IKEV2_N_AUTHENTICATION_FAILED)) {
        /* the initiator rejected our AUTH or ID after we answered IKE_AUTH (2.21.2) */
        ike_sa_down(e, sa, "received AUTHENTICATION_FAILED notify: the peer rejected our AUTH or ID");
        return 0;
    }
    if (del && del->u.del.proto == IKEV2_PROTO_IKE) {
        struct ikesa *heir = sa->irk.peer_new ? ike_sa_by_id(e, sa->irk.peer_new) : NULL;
        if (heir) /* the peer finished its rekey without seeing ours (2.8.2): its IKE SA inherits */
            ike_rekey_move_children(e, sa, heir);
        else
            ike_life_ike_closed(e, sa, now); /* close_action */
        ike_tomb_add(e, sa);
        ike_sa_down(e, sa, sa->replaced ? "rekeyed" : "deleted by the peer");
    }
    return 0;
}

int ike_child_inbound_seen(struct ike_engine *e, uint32_t spi_in, uint64_t at)
{
    struct ikesa *sa = ike_sa_by_child_spi(e, spi_in);
    if (!sa || sa->state != IKE_S_ESTABLISHED || !ike_child_any_by_spi_in(sa, spi_in))
        return KITE_E_NOT_FOUND;
    if (at > sa->last_rx_at)
        sa->last_rx_at = at;
    ike_sa_touch(e, sa); /* its next liveness check moved */
    ike_satab_gc(e);
    return 0;
}

/* the IKE SA with the peer that sent ESP from `from`: the one at that address
 * and port (several peers may share one NAT address; ESP in UDP comes from
 * the port IKE uses), else the one at that address (raw ESP has no port) */
static struct ikesa *esp_peer(struct ike_engine *e, const struct ike_addr *from)
{
    struct ikesa *host = NULL;
    for (struct ikesa *sa = ike_sa_by_host(e, from, NULL); sa; sa = ike_sa_by_host(e, from, sa)) {
        if (sa->state != IKE_S_ESTABLISHED || sa->replaced)
            continue;
        if (from->port && sa->remote.port == from->port)
            return sa;
        if (!host || sa->id < host->id)
            host = sa; /* the oldest, as a scan of the table found it */
    }
    return host;
}

static int esp_unknown_spi(struct ike_engine *e, uint32_t spi, const struct ike_addr *from, uint64_t now)
{
    struct ikesa *sa = esp_peer(e, from);
    if (!sa)
        return KITE_E_NOT_FOUND; /* nobody to tell: the data plane counted it */
    ike_sa_touch(e, sa);
    /* one per IKE SA per second, whatever the SPI: unauthenticated ESP from a
     * spoofed address must not keep the IKE SA's one request slot busy */
    if (sa->invalid_spi_at && now < sa->invalid_spi_at + 1000)
        return KITE_E_STATE;
    char name[64];
    if (sa->req_len) {
        ike_log(e, LOG_IKE, 2, "ESP with unknown SPI %08x from the peer of %s: a request is outstanding, "
                               "INVALID_SPI not sent", spi, ike_sa_name(e, sa, name, sizeof name));
        return KITE_E_STATE;
    }
    uint8_t data[4];
    struct wr w;
    struct ike_pld n;
    wr_init(&w, data, sizeof data);
    wr_be32(&w, spi);
    pld_notify(&n, IKEV2_N_INVALID_SPI, data, sizeof data);
    ike_log(e, LOG_IKE, 1, "received ESP with unknown SPI %08x from the peer of %s, sending INVALID_SPI", spi,
            ike_sa_name(e, sa, name, sizeof name));
    int rc = ike_send_sk(e, sa, IKEV2_EXCH_INFORMATIONAL, &n, 1, false, sa->next_msgid, now);
    if (!rc) {
        sa->next_msgid++;
        sa->invalid_spi_at = now ? now : 1;
    }
    return rc;
}

int ike_esp_unknown_spi(struct ike_engine *e, uint32_t spi, const struct ike_addr *from, uint64_t now)
{
    int rc = esp_unknown_spi(e, spi, from, now);
    ike_satab_gc(e); /* a request went out: its retransmission time */
    return rc;
}
