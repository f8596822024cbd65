/* sa: one ESP security association of the userspace data plane (RFC 4303,
 * RFC 4301 4.4.2), knowing nothing of IKE: SPI, direction, mode, the
 * transforms with their keys and prepared crypto contexts, the sequence
 * number or replay window, UDP encapsulation for the caller, traffic
 * selectors for the inbound policy check, counters and lifetime limits.
 *
 * The caller owns the storage (struct esp_sa is a few hundred bytes: embed
 * it or allocate it once per SA; a replay window of 64 packets or more and
 * the selectors are allocated at their size).  esp_sa_init() checks the
 * transforms and keeps the keys; the crypto contexts (about 2.2 KB per
 * direction for AES-GCM in OpenSSL 3, more for CBC + HMAC) are made by
 * esp_sa_prepare() at the SA's first packet, which encap and decap call, and
 * kept: a gateway's many idle SAs hold a key each, not a context (issue 13),
 * and every later packet allocates nothing. */
#ifndef KITE_ESP_SA_H
#define KITE_ESP_SA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/secret.h"
#include "base/span.h"
#include "crypto/aead.h"
#include "crypto/cbc.h"
#include "crypto/integ.h"
#include "crypto/registry.h"
#include "esp/replay.h"
#include "esp/spd.h"

enum esp_dir { ESP_DIR_IN, ESP_DIR_OUT };
enum esp_mode { ESP_MODE_TUNNEL, ESP_MODE_TRANSPORT };

enum {
    ESP_HDR_LEN = 8,      /* SPI | sequence number (RFC 4303 2) */
    ESP_TRAILER_LEN = 2,  /* pad length | next header */
    ESP_SA_MAX_TS = 8,    /* traffic selectors per side */
};

/* esp_sa.flags: set by the data plane, read (and acted on) by the caller */
enum {
    ESP_SA_SOFT_EXPIRED = 1 << 0, /* a soft limit was reached: rekey now */
    ESP_SA_HARD_EXPIRED = 1 << 1, /* a hard limit was reached: packets refused */
    ESP_SA_SEQ_EXHAUSTED = 1 << 2,/* outbound sequence numbers ran out: refused */
};

/* 0 means no limit (RFC 4301 4.4.2.1 "lifetime of this SA") */
struct esp_limits {
    uint64_t soft_bytes, hard_bytes;
    uint64_t soft_packets, hard_packets;
};

struct esp_counters {
    uint64_t bytes;        /* inner bytes of good packets (lifetimes, status) */
    uint64_t packets;      /* good packets */
    uint64_t replay_drops; /* duplicates and too old, before or after the ICV */
    uint64_t icv_failures; /* integrity check failed */
    uint64_t malformed;    /* too short, wrong SPI, bad padding, bad next header */
    uint64_t policy_drops; /* inner packet outside the SA's selectors */
    uint64_t other_drops;  /* expired SA, sequence numbers exhausted, no buffer space */
    uint64_t last_used;    /* the caller's `now` at the last good packet */
};

struct esp_sa_params {
    uint32_t spi;                 /* host order */
    enum esp_dir dir;
    enum esp_mode mode;
    uint16_t encr_id;             /* IANA Transform Type 1 ID, e.g. ENCR_AES_GCM_16 */
    uint16_t encr_bits;           /* key bits; 0 where the ID fixes it (ChaCha20) */
    uint16_t integ_id;            /* IANA Transform Type 3 ID; AUTH_NONE with AEAD */
    struct span encr_key;         /* encr key_len bytes (AEAD: key | 4-byte salt) */
    struct span integ_key;        /* integ key_len bytes; empty with AEAD */
    bool esn;                     /* 64-bit sequence numbers (RFC 4303 2.2.1) */
    uint32_t replay_window;       /* inbound: 0 (off) .. ESP_REPLAY_MAX */
    bool udp_encap;               /* RFC 3948; ports for the caller's sockets */
    uint16_t encap_sport, encap_dport;
    const struct esp_ts *ts_local;/* inbound tunnel mode: checked after decryption */
    size_t n_ts_local;
    const struct esp_ts *ts_remote;
    size_t n_ts_remote;
    struct esp_limits limits;
};

struct esp_sa {
    uint32_t spi;
    enum esp_dir dir;
    enum esp_mode mode;
    bool esn;
    const struct xf_info *encr;   /* registry rows */
    const struct xf_info *integ;  /* NULL with AEAD */
    /* CBC + HMAC: the keys until esp_sa_prepare (then wiped and freed);
     * AEAD: empty, the deferred aead keeps its own */
    struct secret encr_key, integ_key;
    bool prepared;                /* esp_sa_prepare made the contexts */
    struct aead aead;             /* AEAD suites */
    struct cbc cbc;               /* CBC + HMAC suites */
    struct integ mac;
    struct cbc ivgen;             /* outbound CBC: IV = E_k(seq), k random per SA */
    uint16_t iv_len, icv_len;
    uint16_t align;               /* padding boundary: cipher block, at least 4 */
    uint64_t seq_out;             /* outbound: the last sequence number used */
    struct esp_replay replay;     /* inbound */
    bool udp_encap;
    uint16_t encap_sport, encap_dport;
    /* inbound tunnel mode: the selectors, allocated at their number (one
     * block, ts_remote right after ts_local); NULL without */
    struct esp_ts *ts_local, *ts_remote;
    size_t n_ts_local, n_ts_remote;
    struct esp_limits limits;
    unsigned flags;               /* ESP_SA_* */
    struct esp_counters cnt;
};

/* 0, KITE_E_UNSUPPORTED (unknown transform or combination), KITE_E_INVALID_ARG
 * (key length, window size, too many selectors), KITE_E_NOMEM, KITE_E_CRYPTO.
 * On failure nothing is left to free. */
int esp_sa_init(struct esp_sa *sa, const struct esp_sa_params *p);
/* make the crypto contexts from the kept keys, then wipe and free those;
 * 0 at once when done before (encap and decap test sa->prepared first).
 * KITE_E_NOMEM or KITE_E_CRYPTO leave the SA as it was, to be tried at the
 * next packet. */
int esp_sa_prepare(struct esp_sa *sa);
/* release the crypto contexts and wipe the keys; safe on a zeroed SA */
void esp_sa_free(struct esp_sa *sa);
/* bytes encapsulation puts in front of the inner packet (ESP header + IV) */
size_t esp_sa_headroom(const struct esp_sa *sa);
/* most bytes it appends (padding + trailer + ICV) */
size_t esp_sa_tailroom(const struct esp_sa *sa);

/* Internal to esp/: count one good packet of `bytes` inner bytes at `now`
 * and raise the lifetime flags. */
void esp_sa_account(struct esp_sa *sa, size_t bytes, uint64_t now);
/* Internal to esp/: the AEAD additional data, SPI | Seq (8 bytes) or with
 * ESN SPI | Seq high | Seq low (12 bytes) (RFC 4106 5, RFC 7634 2.1);
 * returns its length */
size_t esp_sa_aad(const struct esp_sa *sa, uint64_t seq, uint8_t out[12]);

#endif
