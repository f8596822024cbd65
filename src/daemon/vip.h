/* vip: a client's virtual IPs and DNS servers on the host (RFC 7296 3.15).
 *
 * The addresses an IKE SA got in a CFG_REPLY (IKE_ACT_VIP) go on kite's TUN
 * device before its Child SA's routes, which then use them as the preferred
 * source (dataplane.c), so tunnelled traffic leaves from the virtual IP.
 * DNS servers go to systemd-resolved (resolvectl dns <tun> ...) or, without
 * it, to resolvconf (resolvconf -a <tun>.kite); with neither they are only
 * logged.  All of it is removed when the IKE SA goes (a rekey hands it to
 * the new IKE SA) and when kited stops.  The helpers are found in PATH and
 * run without blocking the event loop (helper.c: spawned, reaped when they
 * end, one at a time in order, so a revert follows its setting); their
 * outcome is logged by vip_helper_done. */
#ifndef KITE_DAEMON_VIP_H
#define KITE_DAEMON_VIP_H
#include <stdint.h>
#include "daemon/dataplane.h"
#include "daemon/helper.h"
#include "ike/ike.h"

struct vip_ent {
    uint32_t ike_sa;
    uint8_t n_vip, n_dns;
    struct ike_addr vip[IKE_MAX_VIPS], dns[IKE_MAX_DNS];
    char dns_how;         /* 'r' resolvectl, 'c' resolvconf, 0: not applied */
};
struct vip_set {
    struct vip_ent *v;    /* grown as needed: one per IKE SA with virtual IPs */
    unsigned n, cap;
    struct helpers *run;  /* where the DNS helpers are queued (kited's); NULL: not run */
    struct log_sink *log; /* for vip_helper_done */
    uint64_t now;
};

void vip_up(struct vip_set *s, struct dataplane *dp, struct log_sink *log, const struct ike_action *a);
void vip_rekeyed(struct vip_set *s, uint32_t old_ike_sa, uint32_t new_ike_sa);
void vip_down(struct vip_set *s, struct dataplane *dp, struct log_sink *log, uint32_t ike_sa);
/* a helper's end (helper_done_fn, ctx the vip_set): logged; a DNS setting
 * that failed is not reverted later */
void vip_helper_done(void *ctx, uint64_t tag, const char *what, int status);
/* everything removed (kited stops) */
void vip_free(struct vip_set *s, struct dataplane *dp, struct log_sink *log);

#endif
