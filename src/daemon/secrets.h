/* secrets: swanctl.conf's ike-x secrets into the engine's table of
 * pre-shared keys by identity (secrets.c) */
#ifndef KITE_DAEMON_SECRETS_H
#define KITE_DAEMON_SECRETS_H
#include "conf/conf.h"
#include "ike/ike.h"

struct log_sink;

/* the engine's keys become c's; how many, or -1 (no memory: logged, the
 * engine keeps the keys it had) */
int secrets_apply(struct ike_engine *ike, const struct kite_conf *c, struct log_sink *log);

#endif
