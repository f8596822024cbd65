/* cookie: stateless IKE_SA_INIT cookies (RFC 7296 2.6). */
#include "ike/cookie.h"
#include <string.h>
#include "base/secret.h"
#include "ike/ike_int.h"

static int ensure(struct ike_engine *e, uint64_t now)
{
    struct ike_cookies *c = &e->cookies;
    if (!c->ready) {
        int rc = prf_init(&c->prf, PRF_HMAC_SHA2_256);
        if (rc)
            return rc;
        e->env.random(e->env.ctx, c->secret[0], IKE_COOKIE_SECRET);
        c->rotated_at = now;
        c->ready = true;
    } else if (now >= c->rotated_at + IKE_COOKIE_ROTATE_MS) {
        /* a cookie handed out just before the rotation still works once */
        memcpy(c->secret[1], c->secret[0], IKE_COOKIE_SECRET);
        c->have_prev = true;
        e->env.random(e->env.ctx, c->secret[0], IKE_COOKIE_SECRET);
        c->version++;
        c->rotated_at = now;
    }
    return 0;
}

static int compute(const struct ike_cookies *c, const uint8_t *secret, uint8_t version, struct span ni,
                   const struct ike_addr *ipi, uint64_t spi_i, uint8_t out[IKE_COOKIE_LEN])
{
    uint8_t spi[8], mac[PRF_MAX_OUT];
    for (int i = 0; i < 8; i++)
        spi[i] = (uint8_t)(spi_i >> (56 - 8 * i));
    struct span parts[] = { ni, span_of(&ipi->family, 1), span_of(ipi->ip, ipi->family == 6 ? 16 : 4),
                            span_of(spi, 8) };
    int rc = prf_run(&c->prf, span_of(secret, IKE_COOKIE_SECRET), parts, 4, mac);
    if (rc)
        return rc;
    out[0] = version;
    memcpy(out + 1, mac, IKE_COOKIE_LEN - 1);
    mem_wipe(mac, sizeof mac);
    return 0;
}

int ike_cookie_make(struct ike_engine *e, struct span ni, const struct ike_addr *ipi, uint64_t spi_i,
                    uint64_t now, uint8_t out[IKE_COOKIE_LEN])
{
    int rc = ensure(e, now);
    if (rc)
        return rc;
    return compute(&e->cookies, e->cookies.secret[0], e->cookies.version, ni, ipi, spi_i, out);
}

bool ike_cookie_check(struct ike_engine *e, struct span cookie, struct span ni, const struct ike_addr *ipi,
                      uint64_t spi_i, uint64_t now)
{
    struct ike_cookies *c = &e->cookies;
    uint8_t want[IKE_COOKIE_LEN];
    if (cookie.n != IKE_COOKIE_LEN || ensure(e, now))
        return false;
    const uint8_t *secret = NULL;
    if (cookie.p[0] == c->version)
        secret = c->secret[0];
    else if (c->have_prev && cookie.p[0] == (uint8_t)(c->version - 1))
        secret = c->secret[1];
    if (!secret || compute(c, secret, cookie.p[0], ni, ipi, spi_i, want))
        return false;
    bool ok = ct_equal(want, cookie.p, IKE_COOKIE_LEN);
    mem_wipe(want, sizeof want);
    return ok;
}

void ike_cookies_free(struct ike_cookies *c)
{
    if (c->ready)
        prf_free(&c->prf);
    mem_wipe(c, sizeof *c);
}
