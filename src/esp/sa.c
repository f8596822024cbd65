/* ESP SA setup and accounting (RFC 4301 4.4.2). */
#include "esp/sa.h"
#include "base/err.h"
#include "crypto/rand.h"
#include <stdlib.h>
#include <string.h>

enum { IVGEN_KEY_LEN = 16 };

/* The CBC IV must be unpredictable (RFC 3602 2.2): encrypt the sequence
 * number under a random key kept by this SA (NIST SP 800-38A, Appendix C). */
static int init_ivgen(struct esp_sa *sa)
{
    uint8_t k[IVGEN_KEY_LEN];
    const struct xf_info *aes = xf_lookup(XF_ENCR, ENCR_AES_CBC, 128);
    crypto_random(k, sizeof k);
    int rc = cbc_init(&sa->ivgen, aes, span_of(k, sizeof k), true);
    mem_wipe(k, sizeof k);
    return rc;
}

/* each is safe on a zeroed struct */
static void free_cbc_hmac(struct esp_sa *sa)
{
    cbc_free(&sa->cbc);
    integ_free(&sa->mac);
    cbc_free(&sa->ivgen);
}

static int init_cbc_hmac(struct esp_sa *sa)
{
    int rc = cbc_init(&sa->cbc, sa->encr, secret_span(&sa->encr_key), sa->dir == ESP_DIR_OUT);
    if (!rc)
        rc = integ_init(&sa->mac, sa->integ, secret_span(&sa->integ_key));
    if (!rc && sa->dir == ESP_DIR_OUT)
        rc = init_ivgen(sa);
    if (rc)
        free_cbc_hmac(sa);
    return rc;
}

/* the keys, checked as the contexts will take them at the first packet:
 * the AEAD keeps its own copy (aead_init_deferred), CBC + HMAC ours */
static int keep_keys(struct esp_sa *sa, const struct esp_sa_params *p)
{
    if (sa->encr->aead)
        return aead_init_deferred(&sa->aead, sa->encr, p->encr_key, sa->dir == ESP_DIR_OUT);
    int rc = cbc_check(sa->encr, p->encr_key);
    if (!rc)
        rc = integ_check(sa->integ, p->integ_key);
    if (!rc)
        rc = secret_from(&sa->encr_key, p->encr_key.p, p->encr_key.n);
    if (!rc)
        rc = secret_from(&sa->integ_key, p->integ_key.p, p->integ_key.n);
    return rc;
}

int esp_sa_prepare(struct esp_sa *sa)
{
    if (sa->prepared)
        return 0;
    int rc = sa->encr->aead ? aead_prepare(&sa->aead) : init_cbc_hmac(sa);
    if (rc)
        return rc;
    secret_free(&sa->encr_key); /* scheduled into the contexts */
    secret_free(&sa->integ_key);
    sa->prepared = true;
    return 0;
}

static int pick_transforms(struct esp_sa *sa, const struct esp_sa_params *p)
{
    sa->encr = xf_lookup(XF_ENCR, p->encr_id, p->encr_bits);
    if (!sa->encr || (sa->encr->aead != (p->integ_id == AUTH_NONE)))
        return KITE_E_UNSUPPORTED;
    if (p->integ_id != AUTH_NONE && !(sa->integ = xf_lookup(XF_INTEG, p->integ_id, 0)))
        return KITE_E_UNSUPPORTED;
    if (p->encr_key.n != sa->encr->key_len || p->integ_key.n != (sa->integ ? sa->integ->key_len : 0))
        return KITE_E_INVALID_ARG;
    sa->iv_len = sa->encr->iv_len;
    sa->icv_len = sa->integ ? sa->integ->icv_len : sa->encr->icv_len;
    sa->align = sa->encr->block_len > 4 ? sa->encr->block_len : 4;
    return 0;
}

/* the selectors in one block of exactly their number (most SAs have one
 * each side, none outbound) */
static int copy_ts(struct esp_sa *sa, const struct esp_sa_params *p)
{
    size_t n = p->n_ts_local + p->n_ts_remote;
    if (!n)
        return 0;
    if (!(sa->ts_local = malloc(n * sizeof *sa->ts_local)))
        return KITE_E_NOMEM;
    if (p->n_ts_local)
        memcpy(sa->ts_local, p->ts_local, p->n_ts_local * sizeof *p->ts_local);
    sa->ts_remote = sa->ts_local + p->n_ts_local;
    if (p->n_ts_remote)
        memcpy(sa->ts_remote, p->ts_remote, p->n_ts_remote * sizeof *p->ts_remote);
    sa->n_ts_local = p->n_ts_local;
    sa->n_ts_remote = p->n_ts_remote;
    return 0;
}

static int copy_params(struct esp_sa *sa, const struct esp_sa_params *p)
{
    if (p->n_ts_local > ESP_SA_MAX_TS || p->n_ts_remote > ESP_SA_MAX_TS ||
        (p->dir != ESP_DIR_IN && p->dir != ESP_DIR_OUT) ||
        (p->mode != ESP_MODE_TUNNEL && p->mode != ESP_MODE_TRANSPORT))
        return KITE_E_INVALID_ARG;
    sa->spi = p->spi;
    sa->dir = p->dir;
    sa->mode = p->mode;
    sa->esn = p->esn;
    sa->udp_encap = p->udp_encap;
    sa->encap_sport = p->encap_sport;
    sa->encap_dport = p->encap_dport;
    sa->limits = p->limits;
    int rc = copy_ts(sa, p);
    if (!rc)
        rc = esp_replay_init(&sa->replay, p->dir == ESP_DIR_IN ? p->replay_window : 0, p->esn);
    return rc;
}

int esp_sa_init(struct esp_sa *sa, const struct esp_sa_params *p)
{
    memset(sa, 0, sizeof *sa);
    int rc = copy_params(sa, p);
    if (!rc)
        rc = pick_transforms(sa, p);
    if (!rc)
        rc = keep_keys(sa, p);
    if (rc)
        esp_sa_free(sa);
    return rc;
}

void esp_sa_free(struct esp_sa *sa)
{
    /* prepared or not (a deferred aead holds its key): each is safe on a
     * zeroed struct */
    aead_free(&sa->aead);
    free_cbc_hmac(sa);
    secret_free(&sa->encr_key);
    secret_free(&sa->integ_key);
    esp_replay_free(&sa->replay);
    free(sa->ts_local);
    mem_wipe(sa, sizeof *sa);
}

size_t esp_sa_headroom(const struct esp_sa *sa)
{
    return ESP_HDR_LEN + sa->iv_len;
}

size_t esp_sa_tailroom(const struct esp_sa *sa)
{
    return (size_t)sa->align - 1 + ESP_TRAILER_LEN + sa->icv_len;
}

static bool reached(uint64_t limit, uint64_t value)
{
    return limit && value >= limit;
}

void esp_sa_account(struct esp_sa *sa, size_t bytes, uint64_t now)
{
    struct esp_counters *c = &sa->cnt;
    c->bytes += bytes;
    c->packets++;
    c->last_used = now;
    if (reached(sa->limits.soft_bytes, c->bytes) || reached(sa->limits.soft_packets, c->packets))
        sa->flags |= ESP_SA_SOFT_EXPIRED;
    if (reached(sa->limits.hard_bytes, c->bytes) || reached(sa->limits.hard_packets, c->packets))
        sa->flags |= ESP_SA_HARD_EXPIRED;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

size_t esp_sa_aad(const struct esp_sa *sa, uint64_t seq, uint8_t out[12])
{
    put_be32(out, sa->spi);
    if (!sa->esn) {
        put_be32(out + 4, (uint32_t)seq);
        return 8;
    }
    put_be32(out + 4, (uint32_t)(seq >> 32));
    put_be32(out + 8, (uint32_t)seq);
    return 12;
}
