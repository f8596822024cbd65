/* creds: the credentials beside kited's configuration file, as swanctl
 * finds them beside swanctl.conf (x509/, x509ca/, x509crl/, private/, rsa/,
 * ecdsa/, pkcs8/), with the passphrases of the file's private-x secrets. */
#ifndef KITE_DAEMON_CREDS_H
#define KITE_DAEMON_CREDS_H
#include <stddef.h>
#include "conf/conf.h"
#include "cred/store.h"

/* 0 and *out (a new store), or -1 with the reason in err */
int creds_load(const char *config_path, const struct kite_conf *c, struct cred_store **out, char *err,
               size_t errcap, cred_warn_fn *warn, void *ctx);

#endif
