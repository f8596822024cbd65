#include "daemon/creds.h"
#include <stdio.h>
#include <stdlib.h>
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
    /* the passphrases of encrypted keys: secrets { private-x { file, secret } } */
    struct cred_pass *pass = c->n_key_pass ? calloc(c->n_key_pass, sizeof *pass) : NULL;
    if (c->n_key_pass && !pass) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < c->n_key_pass; i++) {
        pass[i].file = c->key_pass[i].file;
        pass[i].pass = secret_span(&c->key_pass[i].pass);
    }
    int rc = cred_store_load(dir, pass, c->n_key_pass, out, err, errcap, warn, ctx);
    free(pass); /* spans only: the secrets stay in c */
    return rc ? -1 : 0;
}
