/* status: one line per IKE SA for the daemon's status output. */
#include <stdio.h>
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
