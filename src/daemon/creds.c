#include "daemon/creds.h"
#include <stdio.h>
#include <string.h>
#include "base/err.h"

int creds_load(const char *config_path, const struct kite_conf *c, struct cred_store **out, char *err,
               size_t errcap, cred_warn_fn *warn, void *ctx)
{
    char dir[4096];
    const char *slash = strrchr(config_path, '/');
    size_t n = slash ? (size_t)(slash - config_path) : 1;
    if (n >= sizeof dir) {
        snprintf(err, errcap, "configuration path too long");
        return -1;
    }
    if (slash)
        memcpy(dir, config_path, n);
    else
        dir[0] = '.';
    dir[slash && n == 0 ? 1 : n] = 0;
    if (slash && n == 0)
        dir[0] = '/';
    (void)c; /* passphrases of encrypted keys: TODO with the private-x secrets of conf/ */
    int rc = cred_store_load(dir, NULL, 0, out, err, errcap, warn, ctx);
    return rc ? -1 : 0;
}
