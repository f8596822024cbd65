/* test support for the certificate exchanges (exchange/cert, exchange/eap_tls):
 * each side's credential directory under a temporary directory, filled from
 * the committed fixtures in tests/exchange/data/pki */
#ifndef KITE_TESTS_EXCHANGE_PKI_DIR_H
#define KITE_TESTS_EXCHANGE_PKI_DIR_H
#include "harness.h"
#include <sys/stat.h>
#include "cred/id.h"
#include "cred/store.h"

static char tmp[64];

/* side dir/<side>/<sub>/<file> from the fixtures */
static void put(const char *side, const char *sub, const char *file)
{
    char path[512], *data;
    size_t n;
    snprintf(path, sizeof path, "tests/exchange/data/pki/%s", file);
    data = read_source_file(path, &n);
    snprintf(path, sizeof path, "%s/%s", tmp, side);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/%s", tmp, side, sub);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/%s/%s", tmp, side, sub, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    free(data);
}

/* an end entity: its certificate and key, trusting the root */
static void ident(const char *side, const char *name)
{
    char f[64];
    snprintf(f, sizeof f, "%s.pem", name);
    put(side, "x509", f);
    snprintf(f, sizeof f, "%s.key", name);
    put(side, "private", f);
    put(side, "x509ca", "ca.pem");
}

static struct cred_store *store(const char *side)
{
    char dir[256], err[256];
    struct cred_store *s = NULL;
    snprintf(dir, sizeof dir, "%s/%s", tmp, side);
    if (cred_store_load(dir, NULL, 0, &s, err, sizeof err, NULL, NULL))
        fail_msg("loading %s: %s", dir, err);
    return s;
}

static void id_set(struct ike_id_cfg *id, const char *text)
{
    size_t len = 0;
    assert_int_equal(cred_id_parse(text, &id->type, id->data, sizeof id->data, &len), 0);
    id->len = (uint16_t)len;
}

#endif
