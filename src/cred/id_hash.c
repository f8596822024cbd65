/* id_hash: a hash of an identity that agrees with cred_id_match, so that
 * configurations and secrets can be indexed by identity (ike/connsel.c,
 * ike/psks.c) and found without comparing every pattern.
 *
 * Two identities that match without wildcards hash the same: FQDN and
 * RFC822 names compare without case, so they are hashed folded; a DN
 * compares attribute by attribute, some values without case (id_dn.c), so
 * it is hashed as its OIDs and folded values, its string tags left out.
 * Folding more than the comparison does only makes a bucket hold a few
 * identities that the caller's cred_id_match then tells apart. */
#include <ctype.h>
#include <string.h>
#include "base/keyhash.h"
#include "cred/id.h"
#include "cred/id_int.h"

enum { FOLD_MAX = 2 * 1024 + 64 };

static size_t fold(uint8_t *out, size_t at, struct span s)
{
    for (size_t i = 0; i < s.n && at < FOLD_MAX; i++)
        out[at++] = (uint8_t)tolower(s.p[i]);
    return at;
}

/* the OIDs and folded values of a DN in order; 0 when it does not decode
 * (dn_match then compares its bytes only) */
static size_t dn_fold(struct span dn, uint8_t *out)
{
    struct dn_it it;
    struct dn_ava a;
    size_t n = 0;
    int rc;
    if (!dn_valid(dn) || dn_begin(dn, &it))
        return 0;
    while ((rc = dn_next(&it, &a)) > 0 && n + 2 < FOLD_MAX) {
        out[n++] = (uint8_t)a.oid.n;
        n = fold(out, n, a.oid);
        out[n++] = 0xff; /* between an OID and its value */
        n = fold(out, n, a.val);
    }
    return rc == 0 ? n : 0;
}

uint64_t cred_id_hash(const uint64_t key[2], uint8_t type, struct span id)
{
    uint8_t buf[FOLD_MAX];
    size_t n = 1;
    buf[0] = type;
    if (type == CRED_ID_FQDN || type == CRED_ID_RFC822) {
        n = fold(buf, 1, id);
    } else if (type == CRED_ID_DN) {
        size_t d = dn_fold(id, buf + 1);
        n = d ? 1 + d : 0;
    } else {
        n = 0;
    }
    if (!n) { /* compared byte for byte */
        uint64_t h = keyhash(key, id.p, id.n);
        return h ^ ((uint64_t)type * 0x9e3779b97f4a7c15ull);
    }
    return keyhash(key, buf, n);
}
