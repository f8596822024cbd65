/* secrets: the configuration's pre-shared keys handed to the engine, which
 * looks them up by the identities of each IKE SA at IKE_AUTH (ike/psks.c)
 * instead of a key bound to a connection when it loads: one connection with
 * remote.id = %any can then serve many peers, each with its own key
 * (strongSwan's nat-rw-psk).  Called on every reconfiguration (start,
 * SIGHUP, VICI load-shared / unload-shared / load-conn), so new IKE SAs
 * authenticate with the keys loaded last; SAs already up keep theirs. */
#include "daemon/secrets.h"
#include <stdlib.h>
#include "base/err.h"
#include "base/log.h"

int secrets_apply(struct ike_engine *ike, const struct kite_conf *c, struct log_sink *log)
{
    size_t all = c->n_secrets > 0 ? (size_t)c->n_secrets : 0, n = 0, n_ids = 0;
    for (size_t i = 0; i < all; i++)
        n_ids += c->secrets[i].n_ids;
    struct ike_psk *p = all ? calloc(all, sizeof *p) : NULL;
    struct ike_psk_id *ids = n_ids ? calloc(n_ids, sizeof *ids) : NULL;
    int rc = (all && !p) || (n_ids && !ids) ? KITE_E_NOMEM : 0;
    for (size_t i = 0, k = 0; !rc && i < all; i++) {
        const struct conf_secret *s = &c->secrets[i];
        if (s->eap)
            continue; /* an eap-x section: a user's password, never a PSK */
        p[n++] = (struct ike_psk){ s->s.p, s->s.n, s->n_ids, ids ? ids + k : NULL };
        for (unsigned j = 0; j < s->n_ids; j++, k++)
            ids[k] = (struct ike_psk_id){ s->ids[j].type, s->ids[j].len, s->ids[j].data };
    }
    if (!rc)
        rc = ike_engine_set_psks(ike, p, n);
    free(p);
    free(ids);
    if (rc)
        log_msg(log, LOG_CFG, 0, "pre-shared keys not loaded, the previous ones stay: %s", kite_strerror(rc));
    else
        log_msg(log, LOG_CFG, 2, "%zu pre-shared key(s) loaded, looked up by identity", n);
    return rc ? -1 : (int)n;
}
