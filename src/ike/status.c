/* status: one line per IKE SA for the daemon's status output. */
#include <stdio.h>
#include <string.h>
#include "ike/ike_int.h"

static const char *state_name(const struct ikesa *sa)
{
    if (sa->replaced)
        return "REKEYED";
    switch (sa->state) {
    case IKE_S_ESTABLISHED: return "ESTABLISHED";
    case IKE_S_FREE: return "FREE";
    default: return "CONNECTING";
    }
}

bool ike_sa_status(const struct ike_engine *e, int i, char *buf, size_t cap)
{
    const struct ikesa *sa = i >= 0 ? ike_sa_at(e, (unsigned)i) : NULL;
    if (!sa)
        return false;
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    char name[64], l[64], r[64], nat[96], ka[48] = "";
    uint64_t spi_i = 0, spi_r = 0;
    for (int k = 0; k < 8; k++) {
        spi_i = spi_i << 8 | sa->spi_i[k];
        spi_r = spi_r << 8 | sa->spi_r[k];
    }
    if (ike_nat_next(e, sa) != UINT64_MAX)
        snprintf(ka, sizeof ka, ", keepalive every %u ms", c->keepalive_ms);
    snprintf(buf, cap, "%s: %s, %s...%s, SPIs %016llx_i%s %016llx_r%s, IKE on %s, NAT: %s%s",
             ike_sa_name(e, sa, name, sizeof name), state_name(sa), ike_addr_str(&sa->local, l, sizeof l),
             ike_addr_str(&sa->remote, r, sizeof r), (unsigned long long)spi_i, sa->initiator ? "*" : "",
             (unsigned long long)spi_r, sa->initiator ? "" : "*", sa->natt ? "the NAT-T port" : "the IKE port",
             ike_nat_str(sa, nat, sizeof nat), ka);
    return true;
}

bool ike_sa_info(const struct ike_engine *e, unsigned slot, struct ike_sa_info *out)
{
    const struct ikesa *sa = ike_sa_at(e, slot);
    if (!sa)
        return false;
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    memset(out, 0, sizeof *out);
    out->id = sa->id;
    out->conn = c->name;
    out->state = state_name(sa);
    out->initiator = sa->initiator;
    memcpy(out->spi_i, sa->spi_i, 8);
    memcpy(out->spi_r, sa->spi_r, 8);
    out->local = sa->local;
    out->remote = sa->remote;
    out->local_id = &c->local_id;
    out->remote_id = &c->remote_id;
    if (sa->peer_id && sa->peer_id->type) {
        out->peer_id.type = sa->peer_id->type;
        out->peer_id.len = sa->peer_id->len;
        memcpy(out->peer_id.data, sa->peer_id->data, sa->peer_id->len);
        out->remote_id = &out->peer_id;
    }
    out->nat_local = sa->nat_local;
    out->nat_remote = sa->nat_remote;
    out->nat_fake = sa->nat_fake;
    if (sa->algs.encr) {
        out->encr = sa->algs.encr->id;
        out->encr_bits = sa->algs.encr->key_bits;
    }
    out->integ = sa->algs.integ ? sa->algs.integ->id : 0;
    out->prf = sa->algs.prf ? sa->algs.prf->id : 0;
    out->dh = sa->algs.ke;
    out->established_at = sa->state == IKE_S_ESTABLISHED ? sa->established_at : 0;
    out->rekey_at = sa->ike_rekey_at;
    out->reauth_at = sa->reauth_at;
    for (unsigned i = 0; i < sa->n_lvip; i++)
        out->local_vips[out->n_local_vips++] = sa->lvip[i];
    for (unsigned i = 0; i < sa->n_rvip; i++)
        out->remote_vips[out->n_remote_vips++] = sa->rvip[i].addr;
    return true;
}

bool ike_sa_info_by_id(struct ike_engine *e, uint32_t id, struct ike_sa_info *out)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    unsigned slot = sa ? sa->slot : 0;
    ike_satab_gc(e); /* the lookup touched it (satab.c) */
    return sa && ike_sa_info(e, slot, out);
}

static const char *child_state(const struct ike_child_st *ch)
{
    if (ch->deleting)
        return "DELETING";
    return ch->rekeyed || ch->gone_at ? "REKEYED" : "INSTALLED";
}

bool ike_sa_child_info(const struct ike_engine *e, unsigned slot, unsigned i, struct ike_child_info *out)
{
    const struct ikesa *sa = ike_sa_at(e, slot);
    for (unsigned k = 0; sa && k < (unsigned)ike_child_slots(sa); k++) {
        const struct ike_child_st *ch = ike_sa_child(sa, k);
        if (!ch->up || i-- > 0)
            continue;
        memset(out, 0, sizeof *out);
        out->name = e->conns[sa->conn].child[ch->cfg].name;
        out->spi_in = ch->spi_in;
        out->spi_out = ch->spi_out;
        out->encr = ch->a.encr;
        out->encr_bits = ch->a.encr_bits;
        out->integ = ch->a.integ;
        out->transport = ch->transport;
        out->encap = sa->nat_local || sa->nat_remote || sa->nat_fake;
        out->state = child_state(ch);
        out->rekey_at = ch->rekey_at;
        out->life_at = ch->hard_at;
        out->installed_at = ch->installed_at;
        out->local_ts = ch->lts;
        out->remote_ts = ch->rts;
        return true;
    }
    return false;
}

const struct ike_conn_cfg *ike_engine_conn(const struct ike_engine *e, int i)
{
    /* the i-th live one: removed connections leave free slots */
    for (int s = 0; s < e->n_conns; s++)
        if (ike_conn_live(e, s) && i-- == 0)
            return &e->conns[s];
    return NULL;
}
