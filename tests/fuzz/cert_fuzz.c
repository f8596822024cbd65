/* libFuzzer target: a peer's certificates as IKE_AUTH carries them (CERT
 * payloads, RFC 7296 3.6) and a CERTREQ (3.7), through what kite does with
 * them before the signature: DER decoding, the identity in the certificate
 * (cred_cert_has_id), the chain to the store's CAs (cred_verify_chain, each
 * revocation policy), the CERTREQ hashes against our certificates
 * (cred_store_chains_to).  The store is tests/exchange/data/pki (its CA,
 * intermediate, evil CA and end entities), found beside this file.
 * Input: byte 0: bits 0-1 the number of CERT payloads (0..3), bits 2-3 the
 * revocation policy, bit 4 restricts the anchors to the root; then each
 * CERT as a 2-byte big-endian length and its data; byte: the ID type; the
 * rest split at its first 0xff byte into the ID data and the CERTREQ data.
 * Invariants (abort): no ASan/UBSan report or leak; verification gives 0 or
 * AUTHENTICATION_FAILED and a refusal has a reason; OpenSSL's error queue is
 * left empty. */
#include "cred/id.h"
#include "cred/store.h"
#include "cred/verify.h"
#include "base/err.h"
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cred_store *store;
static X509 *ours[3];

static void copy(const char *src_dir, const char *dir, const char *sub, const char *name)
{
    char from[1024], to[1024], buf[8192];
    snprintf(from, sizeof from, "%s/%s", src_dir, name);
    snprintf(to, sizeof to, "%s/%s", dir, sub);
    mkdir(to, 0700);
    snprintf(to, sizeof to, "%s/%s/%s", dir, sub, name);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (!in || !out)
        __builtin_trap();
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

static void setup(void)
{
    char src[1024], dir[] = "/tmp/kite-cert-fuzz-XXXXXX", err[256];
    snprintf(src, sizeof src, "%s", __FILE__);
    char *slash = strrchr(src, '/');
    if (!slash || !mkdtemp(dir))
        __builtin_trap();
    snprintf(slash, sizeof src - (size_t)(slash - src), "/../exchange/data/pki");
    static const char *const ca[] = { "ca.pem", "mid.pem", "evilca.pem" };
    static const char *const ee[] = { "moon.pem", "sun.pem", "jupiter.pem" };
    for (int i = 0; i < 3; i++) {
        copy(src, dir, "x509ca", ca[i]);
        copy(src, dir, "x509", ee[i]);
    }
    if (cred_store_load(dir, NULL, 0, &store, err, sizeof err, NULL, NULL))
        __builtin_trap();
    for (int i = 0; i < 3; i++)
        if (!(ours[i] = cred_store_cert(store, ee[i])))
            __builtin_trap();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store)
        setup();
    if (size < 1)
        return 0;
    X509 *certs[3] = { 0 };
    size_t n = 0, off = 1;
    unsigned want = data[0] & 3;
    while (n < want && off + 2 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        const unsigned char *p = data + off;
        certs[n] = d2i_X509(NULL, &p, (long)len);
        if (certs[n])
            n++;
        off += len;
    }
    uint8_t idtype = off < size ? data[off++] : 0;
    const uint8_t *rest = data + off, *sep = memchr(rest, 0xff, size - off);
    size_t idlen = sep ? (size_t)(sep - rest) : size - off;
    const uint8_t *req = sep ? sep + 1 : data + size;
    size_t reqlen = (size_t)(data + size - req);
    if (n) {
        char why[512] = "";
        X509 *root = cred_store_cert(store, "ca.pem");
        struct cred_verify_req r = {
            .ee = certs[0], .untrusted = certs + 1, .n_untrusted = n - 1,
            .anchors = &root, .n_anchors = (data[0] & 16) && root ? 1 : 0,
            .revocation = (enum cred_revocation)((data[0] >> 2) % 3), .now = 1900000000,
        };
        int rc = cred_verify_chain(store, &r, why, sizeof why);
        if (rc != 0 && rc != KITE_E_AUTH_FAILED && rc != KITE_E_NOMEM && rc != KITE_E_CRYPTO)
            __builtin_trap();
        if (rc == KITE_E_AUTH_FAILED && !why[0])
            __builtin_trap();
        (void)cred_cert_has_id(certs[0], idtype, span_of(rest, idlen));
    }
    for (int i = 0; i < 3; i++)
        (void)cred_store_chains_to(store, ours[i], req, reqlen);
    for (size_t i = 0; i < n; i++)
        X509_free(certs[i]);
    ERR_clear_error();
    return 0;
}
