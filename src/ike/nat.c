/* nat: NAT traversal state of an IKE SA (RFC 7296 2.23, RFC 3948).
 *
 * Detection: the peer's NAT_DETECTION_SOURCE_IP hash covers the address and
 * port it sent from, _DESTINATION_IP the ones it sent to.  A mismatch of the
 * destination hash means our address or port was rewritten: we are behind a
 * NAT.  A mismatch of the source hash means the peer is behind a NAT, or
 * fakes the hash to force UDP encapsulation (strongSwan's encap = yes, and
 * always with kernel-libipsec); the two are told apart only when the peer's
 * port shows the rewrite (not an IKE port, or a later change), so the status
 * says "remote (or faked by the peer)" until then.
 *
 * Updates: a host not behind a NAT follows its peer's new address and port
 * seen on an authenticated new message when the peer is behind a NAT; a host
 * behind a NAT does not (2.23: one forged packet would break it).
 *
 * Keepalives: the side behind a NAT sends one 0xFF byte on the NAT-T port
 * after keepalive_ms without sending anything to the peer (RFC 3948 2.3). */
#include <stdio.h>
#include <string.h>
#include "base/log.h"
#include "ike/ike_int.h"

/* a port no IKE implementation sends from by itself: a NAT chose it */
static bool rewritten_port(const struct ike_engine *e, const struct ikesa *sa, uint16_t port)
{
    return port != 500 && port != e->conns[sa->conn].natt_port;
}

void ike_nat_start(struct ike_engine *e, struct ikesa *sa)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    /* IKE to another port than ours (remote_port = 4500) starts on the NAT-T
     * port, with the non-ESP marker, as strongSwan does */
    if (sa->initiator && sa->remote.port && sa->remote.port != c->local.port)
        sa->local.port = c->natt_port;
    sa->natt = sa->local.port == c->natt_port;
}

static void log_detection(struct ike_engine *e, const struct ikesa *sa)
{
    char r[64];
    if (sa->nat_fake)
        ike_log(e, LOG_IKE, 1, "faking NAT situation to enforce UDP encapsulation (%s)",
                e->conns[sa->conn].encap ? "encap = yes" : "our address was not known when IKE_SA_INIT left");
    if (!sa->nat_local && !sa->nat_remote)
        return;
    const char *who = sa->nat_local && sa->nat_remote ? "local and remote host are behind NAT"
                      : sa->nat_local                 ? "local host is behind NAT"
                                                      : "remote host is behind NAT";
    if (!sa->nat_remote)
        ike_log(e, LOG_IKE, 1, "%s", who);
    else if (sa->nat_proven)
        ike_log(e, LOG_IKE, 1, "%s (the peer sends from %s: a port a NAT chose)", who,
                ike_addr_str(&sa->remote, r, sizeof r));
    else
        ike_log(e, LOG_IKE, 1, "%s (or the peer fakes its NAT_DETECTION_SOURCE_IP to force UDP "
                               "encapsulation, as strongSwan's encap = yes and kernel-libipsec do: "
                               "not told apart while its port is unchanged)", who);
}

/* each hash of the SPIs in the message's header (SPIr zero in the request)
 * and an address; several NATD_S_IP may come, one match is enough */
void ike_nat_check(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *c)
{
    static const uint8_t zero[8];
    const uint8_t *spi_r = sa->initiator ? sa->spi_r : zero;
    uint8_t hs[20], hd[20];
    bool got_s = false, got_d = false, match_s = false, match_d = false;
    if (ike_natd_hash(sa->spi_i, spi_r, &sa->remote, hs) || ike_natd_hash(sa->spi_i, spi_r, &sa->local, hd))
        return;
    for (unsigned i = 0; i < c->n; i++) {
        const struct ike_pld *p = &c->pld[i];
        if (p->type != IKEV2_PLD_NOTIFY)
            continue;
        bool ok = p->u.notify.data.n == 20;
        if (p->u.notify.type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
            got_s = true;
            match_s = match_s || (ok && ct_equal(hs, p->u.notify.data.p, 20));
        } else if (p->u.notify.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP) {
            got_d = true;
            match_d = match_d || (ok && ct_equal(hd, p->u.notify.data.p, 20));
        }
    }
    sa->nat_remote = got_s && !match_s;
    sa->nat_local = got_d && !match_d;
    /* faked: encap = yes, or our address unknown when IKE_SA_INIT left
     * (local_addrs = %any: the random NATD_S_IP the peer takes for a NAT) */
    sa->nat_fake = e->conns[sa->conn].encap || (sa->initiator && sa->nat_fake);
    sa->nat_proven = sa->nat_remote && rewritten_port(e, sa, sa->remote.port);
    log_detection(e, sa);
}

const char *ike_nat_str(const struct ikesa *sa, char *buf, size_t cap)
{
    const char *base = sa->nat_local && sa->nat_remote ? "local and remote"
                       : sa->nat_local                 ? "local"
                       : sa->nat_remote                ? "remote"
                                                       : "none";
    snprintf(buf, cap, "%s%s%s", base, sa->nat_remote && !sa->nat_proven ? " (or faked by the peer)" : "",
             sa->nat_fake ? ", faked by us (encap = yes)" : "");
    return buf;
}

/* follow the peer to remote (2.23): only when it is behind a NAT and we are not */
static int follow(struct ike_engine *e, struct ikesa *sa, const struct ike_addr *local,
                  const struct ike_addr *remote, const char *what, bool quiet)
{
    bool refused = !sa->nat_remote || sa->nat_local;
    if (refused && quiet) /* decided before any formatting: ESP from there may come by the thousand */
        return 0;
    char name[64], o[64], n[64];
    ike_sa_name(e, sa, name, sizeof name);
    ike_addr_str(&sa->remote, o, sizeof o);
    ike_addr_str(remote, n, sizeof n);
    if (refused) {
        ike_log(e, LOG_IKE, 1, "IKE_SA %s: authenticated %s from %s instead of %s, not followed (%s)", name, what,
                n, o, sa->nat_local ? "we are behind a NAT ourselves" : "no NAT detected in front of the peer");
        return 0;
    }
    ike_log(e, LOG_IKE, 1, "IKE_SA %s: the peer moved from %s to %s (NAT mapping changed, seen on an authenticated %s): "
                           "following it", name, o, n, what);
    sa->remote = *remote;
    sa->local = *local;
    sa->natt = local->port == e->conns[sa->conn].natt_port;
    sa->nat_proven = true;
    e->stats.moved++;
    ike_push(e, IKE_ACT_IKE_MOVED, sa);
    return 1;
}

void ike_nat_update(struct ike_engine *e, struct ikesa *sa, const struct ike_addr *local,
                    const struct ike_addr *remote)
{
    bool moved = !ike_addr_eq(&sa->remote, remote);
    if (sa->state != IKE_S_ESTABLISHED) { /* IKE_AUTH: the move to the NAT-T port */
        if (moved && sa->nat_remote && rewritten_port(e, sa, remote->port) && !sa->nat_proven) {
            char r[64];
            sa->nat_proven = true;
            ike_log(e, LOG_IKE, 1, "remote host is behind NAT (it floated to %s: a port a NAT chose)",
                    ike_addr_str(remote, r, sizeof r));
        }
        sa->remote = *remote;
        sa->local = *local;
        sa->natt = local->port == e->conns[sa->conn].natt_port;
        return;
    }
    if (moved)
        follow(e, sa, local, remote, "IKE message", false);
    else if (!ike_addr_eq(&sa->local, local) && !sa->mobike_update && !sa->mobike_wait) {
        /* (not while our own MOBIKE move is under way: an answer to a request
         * sent before it may still reach the old address) */
        sa->local = *local;
        sa->natt = local->port == e->conns[sa->conn].natt_port;
    }
}

void ike_nat_transport_ts(struct ike_engine *e, const struct ikesa *sa, struct ike_ts_cfg *rts)
{
    size_t n = sa->remote.family == 6 ? 16 : 4;
    if (!sa->nat_remote || rts->family != sa->remote.family ||
        (!memcmp(rts->lo, sa->remote.ip, n) && !memcmp(rts->hi, sa->remote.ip, n)))
        return;
    char was[64], now[64];
    ike_log(e, LOG_IKE, 1, "transport mode behind NAT: the peer's traffic selector %s is its address %s here (2.23.1)",
            ike_ts_str(rts, was, sizeof was), ike_addr_str(&sa->remote, now, sizeof now));
    memcpy(rts->lo, sa->remote.ip, n);
    memcpy(rts->hi, sa->remote.ip, n);
}

void ike_nat_reply_to(struct ike_engine *e, uint32_t id, unsigned mark, const struct ike_addr *remote)
{
    for (unsigned i = mark; i < e->q_len; i++) {
        struct ike_action *a = ike_queued(e, i);
        if (a->type == IKE_ACT_SEND && a->ike_sa == id)
            a->remote = *remote;
    }
}

/* an established IKE SA that is not being replaced by a rekey */
static struct ikesa *sa_by_id(struct ike_engine *e, uint32_t id)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    return sa && sa->state == IKE_S_ESTABLISHED && !sa->replaced ? sa : NULL;
}

int ike_nat_seen(struct ike_engine *e, uint32_t ike_sa, const struct ike_addr *local,
                 const struct ike_addr *remote, uint64_t now)
{
    e->now = now;
    struct ikesa *sa = sa_by_id(e, ike_sa);
    if (!sa || ike_addr_eq(&sa->remote, remote))
        return 0;
    /* refusals are not logged: every ESP packet from there would log one */
    int rc = follow(e, sa, local, remote, "ESP packet", true);
    ike_satab_gc(e); /* its address moved: the host index */
    return rc;
}

uint64_t ike_nat_next(const struct ike_engine *e, const struct ikesa *sa)
{
    uint32_t ka = e->conns[sa->conn].keepalive_ms;
    if (!ka || !sa->nat_local || !sa->natt || sa->state != IKE_S_ESTABLISHED || sa->replaced)
        return UINT64_MAX;
    return sa->last_tx_at + ka;
}

int ike_nat_tick(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    if (ike_nat_next(e, sa) > now)
        return 0;
    ike_push(e, IKE_ACT_KEEPALIVE, sa);
    sa->last_tx_at = now;
    return 1;
}

void ike_nat_sent(struct ike_engine *e, uint32_t ike_sa, uint64_t at)
{
    struct ikesa *sa = sa_by_id(e, ike_sa);
    if (sa)
        sa->last_tx_at = at;
    ike_satab_gc(e); /* its next keepalive moved */
}
