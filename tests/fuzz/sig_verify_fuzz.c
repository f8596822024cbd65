/* libFuzzer target: a peer's AUTH payload signature (crypto/sig's
 * sig_verify_ex) on arbitrary input, against fixed public keys of each type.
 * Byte 0 picks the key (mod 7: RSA 2048, RSA-PSS 2048, ECDSA P-256, P-384,
 * P-521, Ed25519, Ed448: the keys of tests/kat/data/sig/), byte 1 is the auth
 * method (any value: 1, 9-11 and 14 are the ones that go further), bit 0 of
 * byte 2 allows SHA-1, the rest is the AUTH data.  The signed octets are the
 * message of tests/kat/data/sig/vectors.txt in two pieces, so the seeds
 * (tests/fuzz/corpus/sig_verify_fuzz/, made by tests/kat/data/sig/gen.sh) are
 * openssl's signatures that verify.
 * Invariants (abort): no ASan/UBSan report or leak; the result is 0 or
 * AUTHENTICATION_FAILED; a refusal has a reason; *used is the method given
 * and SHA-1 only when allowed; OpenSSL's error queue is left as it was. */
#include "crypto/sig.h"
#include "wire/ike.h"
#include "../kat/data/sig/fuzz_keys.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_KEYS = sizeof sig_fuzz_pubkeys / sizeof sig_fuzz_pubkeys[0] };

static EVP_PKEY *fuzz_keys[FUZZ_KEYS];

static void fuzz_setup(void)
{
    static int ready;
    if (ready)
        return;
    for (size_t i = 0; i < FUZZ_KEYS; i++) {
        BIO *b = BIO_new_mem_buf(sig_fuzz_pubkeys[i], -1);
        fuzz_keys[i] = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        if (!fuzz_keys[i])
            __builtin_trap();
    }
    ready = 1;
}

static void check(int rc, uint8_t method, unsigned flags, const struct sig_scheme *used, const char *why,
                  size_t cap)
{
    if (rc != 0 && rc != KITE_E_AUTH_FAILED)
        __builtin_trap();
    if (!memchr(why, 0, cap))
        __builtin_trap();
    if (rc && !why[0])
        __builtin_trap();
    /* *used is set when the algorithm was accepted: only success or a bad signature */
    if (used->method && !(rc == 0 || strcmp(why, "bad signature") == 0))
        __builtin_trap();
    if (rc == 0 && used->method != method)
        __builtin_trap();
    if (used->method && (used->hash < SIG_HASH_SHA1 || used->hash > SIG_HASH_IDENTITY))
        __builtin_trap();
    if (used->method == IKEV2_AUTH_DIGITAL_SIGNATURE && used->hash == SIG_HASH_SHA1 && !(flags & SIG_ALLOW_SHA1))
        __builtin_trap();
    if (ERR_peek_error())
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sig_scheme used;
    char why[160];
    size_t mlen = sizeof sig_fuzz_msg - 1, cut = mlen / 3;
    struct span octets[2] = { span_of(sig_fuzz_msg, cut), span_of(sig_fuzz_msg + cut, mlen - cut) };
    if (size < 3)
        return 0;
    fuzz_setup();
    EVP_PKEY *key = fuzz_keys[data[0] % FUZZ_KEYS];
    unsigned flags = data[2] & 1 ? SIG_ALLOW_SHA1 : 0;
    memset(why, 0x55, sizeof why);
    int rc = sig_verify_ex(key, data[1], span_of(data + 3, size - 3), octets, 2, flags, &used, why, sizeof why);
    check(rc, data[1], flags, &used, why, sizeof why);
    return 0;
}
