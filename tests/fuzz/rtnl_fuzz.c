/* libFuzzer target: rtnetlink notifications as kited reads them to follow
 * its own addresses (wire/rtnl.c, daemon/netwatch.c): any datagram the
 * netlink socket could hand over.  Invariants (abort): no ASan/UBSan report;
 * every event delivered has a known kind, family 4 or 6 and a prefix within
 * the family's length; a refusal is KITE_E_MALFORMED or KITE_E_TRUNCATED;
 * a datagram cut anywhere delivers no more events than the whole one. */
#include "base/err.h"
#include "wire/rtnl.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(void *ctx, const struct rtnl_event *ev)
{
    int *n = ctx;
    if (ev->kind < RTNL_ADDR_NEW || ev->kind > RTNL_ROUTE_DEL || (ev->family != 4 && ev->family != 6) ||
        ev->prefix_len > (ev->family == 6 ? 128 : 32))
        abort();
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int whole = 0, cut = 0;
    int rc = rtnl_parse(data, size, check, &whole);
    if (rc && rc != KITE_E_MALFORMED && rc != KITE_E_TRUNCATED)
        abort();
    if (size > 1) {
        rc = rtnl_parse(data, size / 2, check, &cut);
        if ((rc && rc != KITE_E_MALFORMED && rc != KITE_E_TRUNCATED) || cut > whole)
            abort();
    }
    return 0;
}
