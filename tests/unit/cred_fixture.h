/* cred_fixture: the certificates of tests/unit/data/certs (made by its
 * gen.sh) loaded whole or in part, for cred_store_test and cred_verify_test. */
#ifndef KITE_TEST_CRED_FIXTURE_H
#define KITE_TEST_CRED_FIXTURE_H
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/pem.h>
#include "base/err.h"
#include "cred/store.h"

#define CERTS KITE_SOURCE_DIR "/tests/unit/data/certs"

/* the passphrases gen.sh encrypted three keys with */
static const struct cred_pass fixture_pass[] = {
    { "ed448Key.pem", { (const uint8_t *)"kite-ed448", 10 } },
    { "rsapssKey.der", { (const uint8_t *)"kite-pss", 8 } },
    { "rootKey.pem", { (const uint8_t *)"kite-root", 9 } },
};

static inline struct cred_store *fixture_load_dir(const char *dir)
{
    struct cred_store *s = NULL;
    char err[512];
    int rc = cred_store_load(dir, fixture_pass, 3, &s, err, sizeof err, NULL, NULL);
    if (rc)
        fail_msg("load of %s: %s", dir, err);
    return s;
}

static inline struct cred_store *fixture_load(void)
{
    return fixture_load_dir(CERTS);
}

/* a temporary credential directory holding links to some fixture files
 * ("x509ca/rootCert.pem", ...; NULL-terminated); dir gets its path */
static inline void fixture_subset(char dir[64], const char *const *files)
{
    char path[512], target[512];
    strcpy(dir, "/tmp/kite-cred-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (; *files; files++) {
        snprintf(path, sizeof path, "%s/%s", dir, *files);
        *strrchr(path, '/') = 0;
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/%s", dir, *files);
        snprintf(target, sizeof target, "%s/%s", CERTS, *files);
        assert_int_equal(symlink(target, path), 0);
    }
}

static inline void fixture_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* a certificate that is in no store directory (other/evilcaCert.pem) */
static inline X509 *fixture_read_cert(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CERTS, rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static inline X509 *fixture_cert(const struct cred_store *s, const char *name)
{
    X509 *x = cred_store_cert(s, name);
    if (!x)
        fail_msg("no certificate %s in the store", name);
    return x;
}

#endif
