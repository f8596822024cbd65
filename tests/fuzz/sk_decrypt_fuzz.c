/* libFuzzer target: SK/SKF payload decryption (wire/sk) on arbitrary input.
 * Input byte 0 selects the suite (bits 0-1: AES-GCM-16, ChaCha20-Poly1305,
 * AES-CBC-128 + HMAC-SHA2-256, 3DES + HMAC-SHA1) and the header (bit 2: SKF);
 * the rest is the whole IKE message with the SK/SKF payload at offset 28.
 * Keys are fixed, so the seed corpus (tests/fuzz/corpus/sk_decrypt_fuzz/)
 * holds messages that decrypt. */
#include "wire/sk.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_SUITES = 4 };

static const struct {
    const char *encr, *integ;
} fuzz_suites[FUZZ_SUITES] = {
    { "aes128gcm16", NULL },
    { "chacha20poly1305", NULL },
    { "aes128", "sha256" },
    { "3des", "sha1" },
};

/* [suite][0 = receive, 1 = send]: prepared once per process */
static struct sk_keys fuzz_keys[FUZZ_SUITES][2];

static void fuzz_setup(void)
{
    static int ready;
    uint8_t ek[64], ak[64];
    if (ready)
        return;
    for (size_t i = 0; i < sizeof ek; i++)
        ek[i] = (uint8_t)(0xa0 ^ i), ak[i] = (uint8_t)(0x30 + i);
    for (int s = 0; s < FUZZ_SUITES; s++) {
        const struct xf_info *e = xf_by_keyword(XF_ENCR, fuzz_suites[s].encr);
        const struct xf_info *a =
            fuzz_suites[s].integ ? xf_by_keyword(XF_INTEG, fuzz_suites[s].integ) : NULL;
        for (int dir = 0; dir < 2; dir++)
            if (sk_keys_init(&fuzz_keys[s][dir], e, a, span_of(ek, e->key_len),
                             span_of(ak, a ? a->key_len : 0), dir == 1))
                __builtin_trap();
    }
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t plain[65536];
    size_t plen = 0;
    struct diag d = { 0 };
    if (size < 1)
        return 0;
    fuzz_setup();
    const struct sk_keys *k = &fuzz_keys[data[0] & 3][0];
    size_t hdr = data[0] & 4 ? SKF_HDR_LEN : SK_HDR_LEN;
    int rc = sk_decrypt(k, span_of(data + 1, size - 1), SK_IKE_HDR_LEN, hdr, plain,
                        sizeof plain, &plen, &d);
    /* a success must describe bytes inside the message */
    if (!rc && plen >= size)
        __builtin_trap();
    if (rc && plen)
        __builtin_trap();
    return 0;
}
