/* bridge: the configuration snapshot (conf/) turned into the engine's
 * connection records (ike/), which know nothing of swanctl.conf. */
#ifndef KITE_DAEMON_BRIDGE_H
#define KITE_DAEMON_BRIDGE_H
#include "conf/conf.h"
#include "cred/store.h"
#include "ike/ike.h"

/* fill out from conn i of c: 0, 1 when loaded with a warning in err (a
 * local.id not in the certificate: sent as configured, peers will refuse it),
 * or -1 with why not in err (e.g. no PSK for its ids, a certificate file
 * not in creds).  creds (NULL: none) gives the default
 * local identity of a certificate connection: its certificate's subject */
int bridge_conn(const struct kite_conf *c, int i, const struct cred_store *creds, uint16_t ike_port,
                uint16_t natt_port, struct ike_conn_cfg *out, char *err, size_t errcap);

/* the configuration's pools as the engine takes them (ike_engine_set_pools):
 * *out and the attributes they point to, *attrs, malloc'd (the caller frees
 * both); 0 or -1 (no memory) */
int bridge_pools(const struct kite_conf *c, struct ike_pool_cfg **out, struct ike_pool_attr **attrs, unsigned *n);

#endif
