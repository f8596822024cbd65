/* libFuzzer target: SK/SKF payload decryption (wire/sk) on arbitrary input.
 * Input byte 0 selects the suite (bits 0-1: AES-GCM-16, ChaCha20-Poly1305,
 * AES-CBC-128 + HMAC-SHA2-256, 3DES + HMAC-SHA1) and the header (bit 2: SKF);
 * the rest is the whole IKE message with the SK/SKF payload at offset 28.
 * Keys are fixed, so the seed corpus (tests/fuzz/corpus/sk_decrypt_fuzz/)
 * holds messages that decrypt.
 * Bit 3 ("sealed"): the rest is PLAINTEXT, sealed here with a valid ICV under
 * an AEAD suite, so the fuzzer reaches what lies behind the ICV check: the
 * padding rules and the inner payload chain decoder.
 * Bit 4 swaps the four suites for issue 14's: AES-CCM-16-128, AES-CCM-8-256,
 * Camellia-CTR-128 + AES-CMAC-96, Camellia-CBC-256 + HMAC-MD5-96 (sealed: the
 * two CCM ones). */
#include "wire/msg.h"
#include "wire/sk.h"
#include "base/wr.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_SUITES = 8 };

static const struct {
    const char *encr, *integ;
} fuzz_suites[FUZZ_SUITES] = {
    { "aes128gcm16", NULL },
    { "chacha20poly1305", NULL },
    { "aes128", "sha256" },
    { "3des", "sha1" },
    { "aes128ccm16", NULL },
    { "aes256ccm8", NULL },
    { "camellia128ctr", "aescmac" },
    { "camellia256", "md5" },
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

/* IKE header + SK header + IV + AEAD(plaintext) + tag, ICV valid */
static size_t seal_message(const struct sk_keys *k, const uint8_t *pt, size_t n, uint8_t *out, size_t cap)
{
    static const uint8_t iv[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    size_t icv = aead_icv_len(&k->aead), total = SK_IKE_HDR_LEN + SK_HDR_LEN + 8 + n + icv;
    if (total > cap || total > 0xffff)
        return 0;
    memset(out, 0, SK_IKE_HDR_LEN);
    out[16] = IKEV2_PLD_SK;     /* next payload */
    out[17] = 0x20;             /* version 2.0 */
    out[18] = IKEV2_EXCH_IKE_AUTH;
    out[19] = 0x08;             /* initiator */
    out[24] = (uint8_t)(total >> 24), out[25] = (uint8_t)(total >> 16);
    out[26] = (uint8_t)(total >> 8), out[27] = (uint8_t)total;
    uint8_t *sk = out + SK_IKE_HDR_LEN;
    size_t sk_len = total - SK_IKE_HDR_LEN;
    sk[0] = IKEV2_PLD_NOTIFY, sk[1] = 0, sk[2] = (uint8_t)(sk_len >> 8), sk[3] = (uint8_t)sk_len;
    memcpy(sk + 4, iv, 8);
    if (aead_seal(&k->aead, iv, span_of(out, SK_IKE_HDR_LEN + SK_HDR_LEN), pt, sk + 12, n, sk + 12 + n))
        __builtin_trap();
    return total;
}

static void sealed_case(const uint8_t *data, size_t size)
{
    static uint8_t msg[70000], plain[70000];
    static struct ike_chain chain;
    size_t plen = 0;
    int suite = (data[0] & 1) | (data[0] & 16 ? 4 : 0); /* the AEAD suites */
    size_t n = seal_message(&fuzz_keys[suite][1], data + 1, size - 1, msg, sizeof msg);
    if (!n)
        return;
    int rc = sk_decrypt(&fuzz_keys[suite][0], span_of(msg, n), SK_IKE_HDR_LEN, SK_HDR_LEN, plain,
                        sizeof plain, &plen, NULL);
    /* the ICV is valid, so only the padding can be refused: pad length must
     * fit in what was decrypted */
    if (rc && !(rc == KITE_E_MALFORMED || (size == 1 && rc == KITE_E_BAD_LENGTH)))
        __builtin_trap();
    if (!rc && plen >= size - 1)
        __builtin_trap();
    if (!rc)
        ike_chain_decode(span_of(plain, plen), IKEV2_PLD_NOTIFY, &chain, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t plain[65536];
    size_t plen = 0;
    struct diag d = { 0 };
    if (size < 1)
        return 0;
    fuzz_setup();
    if (data[0] & 8) {
        sealed_case(data, size);
        return 0;
    }
    const struct sk_keys *k = &fuzz_keys[(data[0] & 3) | (data[0] & 16 ? 4 : 0)][0];
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
