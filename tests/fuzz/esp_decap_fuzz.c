/* libFuzzer target: ESP decapsulation (esp/decap) of arbitrary input.
 * Input byte 0 selects the SA: bit 0 the suite (AES-GCM-16-128, or
 * AES-CBC-256 + HMAC-SHA2-256-128), bit 1 the mode (tunnel, transport),
 * bit 2 ESN; the rest is the ESP packet from the SPI (0x0a0b0c0d) on.  Keys
 * are fixed and each input starts from a fresh window, so the seed corpus
 * (tests/fuzz/corpus/esp_decap_fuzz/) holds packets with sequence number 1
 * that decapsulate.
 * Bit 3 ("sealed"): the rest is the PLAINTEXT of the ESP payload (inner
 * packet | padding | pad length | next header, as the fuzzer likes; cut to
 * whole blocks for CBC), sealed here with a valid ICV as sequence number 1,
 * so the fuzzer reaches what lies behind the ICV: the padding and next header
 * checks, the inner IP header and the selector check.
 * Bit 4 swaps the suites for issue 14's: AES-CCM-8-128 (bit 0 clear) or
 * AES-CTR-128 + HMAC-SHA1-96 (stream mode with an integrity transform). */
#include "esp/decap.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_SAS = 16, FUZZ_SPI = 0x0a0b0c0d, FUZZ_CAP = 70000 };

/* [config][0 = inbound, 1 = outbound] */
static struct esp_sa fuzz_sa[FUZZ_SAS][2];

static void fuzz_setup(void)
{
    static int ready;
    static struct esp_ts local, remote;
    uint8_t ek[64], ak[64];
    if (ready)
        return;
    for (size_t i = 0; i < sizeof ek; i++)
        ek[i] = (uint8_t)(0x11 * i), ak[i] = (uint8_t)(0xc0 ^ i);
    /* remote 192.0.2.0/24, local 198.51.100.0/24, any protocol */
    esp_ts_any(&remote, ESP_IPV4);
    memcpy(remote.start, "\xc0\x00\x02\x00", 4), memcpy(remote.end, "\xc0\x00\x02\xff", 4);
    esp_ts_any(&local, ESP_IPV4);
    memcpy(local.start, "\xc6\x33\x64\x00", 4), memcpy(local.end, "\xc6\x33\x64\xff", 4);
    for (int c = 0; c < FUZZ_SAS; c++) {
        const char *ekw = c & 8 ? (c & 1 ? "aes128ctr" : "aes128ccm8") : (c & 1 ? "aes256" : "aes128gcm16");
        const struct xf_info *e = xf_by_keyword(XF_ENCR, ekw);
        const struct xf_info *a = c & 1 ? xf_by_keyword(XF_INTEG, c & 8 ? "sha1" : "sha256") : NULL;
        struct esp_sa_params p = {
            .spi = FUZZ_SPI, .mode = c & 2 ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL,
            .encr_id = e->id, .encr_bits = e->key_bits, .integ_id = a ? a->id : AUTH_NONE,
            .encr_key = span_of(ek, e->key_len), .integ_key = span_of(ak, a ? a->key_len : 0),
            .esn = (c & 4) != 0, .replay_window = 64,
            .ts_local = &local, .n_ts_local = 1, .ts_remote = &remote, .n_ts_remote = 1,
        };
        for (int dir = 0; dir < 2; dir++) {
            p.dir = dir ? ESP_DIR_OUT : ESP_DIR_IN;
            /* the outbound SA's contexts are used directly (seal); the
             * inbound one is prepared by its first packet, as in kited */
            if (esp_sa_init(&fuzz_sa[c][dir], &p) || (dir && esp_sa_prepare(&fuzz_sa[c][dir])))
                __builtin_trap();
        }
    }
    ready = 1;
}

/* SPI | Seq 1 | IV | seal(pt) | ICV with the outbound SA's contexts */
static size_t seal(const struct esp_sa *sa, const uint8_t *pt, size_t n, uint8_t *pkt)
{
    static const uint8_t seq1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
    size_t hdr = esp_sa_headroom(sa);
    uint8_t *ct = pkt + hdr, aad[12], hi[4] = { 0 };
    memcpy(pkt, "\x0a\x0b\x0c\x0d\x00\x00\x00\x01", 8);
    memset(pkt + 8, 0x5c, sa->iv_len);
    memcpy(pkt + 8, seq1, 8);
    memcpy(ct, pt, n);
    if (sa->encr->aead) {
        size_t na = esp_sa_aad(sa, 1, aad);
        if (aead_seal(&sa->aead, pkt + 8, span_of(aad, na), ct, ct, n, ct + n))
            __builtin_trap();
    } else {
        struct span parts[2] = { span_of(pkt, hdr + n), span_of(hi, 4) };
        if (cbc_run(&sa->cbc, pkt + 8, ct, ct, n) ||
            integ_compute(&sa->mac, parts, sa->esn ? 2 : 1, ct + n))
            __builtin_trap();
    }
    return hdr + n + sa->icv_len;
}

static uint64_t refusals(const struct esp_counters *c)
{
    return c->replay_drops + c->icv_failures + c->malformed + c->policy_drops + c->other_drops;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[FUZZ_CAP];
    uint8_t nh = 0;
    size_t n;
    if (size < 1 || size > FUZZ_CAP - 64)
        return 0;
    fuzz_setup();
    int cfg = (data[0] & 7) | (data[0] & 16 ? 8 : 0);
    struct esp_sa *in = &fuzz_sa[cfg][0], *out = &fuzz_sa[cfg][1];
    bool sealed = data[0] & 8;
    esp_replay_free(&in->replay); /* a 64-packet window has an allocated ring */
    esp_replay_init(&in->replay, 64, in->esn); /* every input starts afresh */
    memset(&in->cnt, 0, sizeof in->cnt);
    if (sealed) {
        size_t pt = size - 1;
        if (!in->encr->aead)
            pt -= pt % in->encr->block_len;
        n = seal(out, data + 1, pt, buf);
        memmove(buf + FUZZ_CAP - n, buf, n); /* end at the buffer's end: ASan sees overreads */
    } else {
        n = size - 1;
        memcpy(buf + FUZZ_CAP - n, data + 1, n);
    }
    struct esp_buf b = { buf + FUZZ_CAP - n, n, 0, n };
    int rc = esp_decap(in, &b, &nh, 1);
    /* exactly one outcome is counted; a success lies inside the input */
    if (rc ? refusals(&in->cnt) != 1 || in->cnt.packets : in->cnt.packets != 1 || refusals(&in->cnt))
        __builtin_trap();
    if (!rc && (b.off > n || b.len > n - b.off || b.len >= n))
        __builtin_trap();
    if (!rc && in->mode == ESP_MODE_TUNNEL && nh != 4 && nh != 41 && nh != 59)
        __builtin_trap();
    /* behind a valid ICV only the payload checks can refuse */
    if (sealed && rc && rc != KITE_E_MALFORMED && rc != KITE_E_POLICY && rc != KITE_E_TRUNCATED)
        __builtin_trap();
    return 0;
}
