#include "daemon/bridge.h"
#include <stdio.h>
#include <string.h>

/* every record the configuration accepts fits the engine's whole: nothing
 * is cut here (conf/ refuses what does not fit, with file:line) */
#define FITS(a, b) ((int)(a) <= (int)(b))
_Static_assert(FITS(CONF_NAME_MAX, IKE_NAME_MAX) && FITS(CONF_MAX_XF, IKE_MAX_XF) &&
                   FITS(CONF_MAX_PROPS, IKE_MAX_PROPS) && FITS(CONF_MAX_TS, IKE_MAX_TS_CFG) &&
                   FITS(CONF_MAX_CHILDREN, IKE_MAX_CHILDREN) && FITS(CONF_MAX_CONNS, IKE_MAX_CONNS) &&
                   FITS(CONF_ID_MAX, IKE_ID_MAX) && FITS(CONF_PSK_MAX, sizeof((struct ike_conn_cfg *)0)->psk),
               "conf/ limits must not exceed ike/ ones");

static void prop(const struct conf_prop *in, struct ike_prop_cfg *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < in->n; i++) {
        out->xf[i].type = in->xf[i].type;
        out->xf[i].id = in->xf[i].id;
        out->xf[i].key_bits = in->xf[i].key_bits;
        out->n++;
    }
}

static void ts(const struct conf_ts *in, struct ike_ts_cfg *out)
{
    memset(out, 0, sizeof *out);
    out->family = in->family;
    out->ip_proto = in->ip_proto;
    out->port_lo = in->port_lo;
    out->port_hi = in->port_hi;
    memcpy(out->lo, in->lo, 16);
    memcpy(out->hi, in->hi, 16);
}

static void id(const struct conf_id *in, struct ike_id_cfg *out)
{
    out->type = in->type;
    out->len = in->len;
    memcpy(out->data, in->data, in->len);
}

static void child(const struct conf_child *in, struct ike_child_cfg *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->name, in->name, sizeof in->name);
    for (unsigned i = 0; i < in->n_local_ts; i++)
        ts(&in->local_ts[i], &out->local_ts[out->n_local_ts++]);
    for (unsigned i = 0; i < in->n_remote_ts; i++)
        ts(&in->remote_ts[i], &out->remote_ts[out->n_remote_ts++]);
    for (unsigned i = 0; i < in->n_esp; i++)
        prop(&in->esp[i], &out->esp[out->n_esp++]);
    out->transport = in->transport;
    out->start = in->start_action == CONF_START_START;
    out->rekey_time_s = in->rekey_time;
    out->rand_time_s = in->rand_time < in->rekey_time ? in->rand_time : in->rekey_time;
    out->life_time_s = in->life_time;
    out->rekey_bytes = in->rekey_bytes;
    out->rekey_packets = in->rekey_packets;
    out->life_bytes = in->life_bytes;
    out->life_packets = in->life_packets;
}

static enum ike_frag_mode frag_mode(enum conf_frag f)
{
    switch (f) {
    case CONF_FRAG_ACCEPT: return IKE_FRAG_ACCEPT;
    case CONF_FRAG_FORCE: return IKE_FRAG_FORCE;
    case CONF_FRAG_NO: return IKE_FRAG_NO;
    case CONF_FRAG_YES: break;
    }
    return IKE_FRAG_YES;
}

int bridge_conn(const struct kite_conf *c, int i, uint16_t ike_port, uint16_t natt_port,
                struct ike_conn_cfg *out, char *err, size_t errcap)
{
    const struct conf_conn *k = &c->conns[i];
    memset(out, 0, sizeof *out);
    memcpy(out->name, k->name, sizeof k->name);
    out->local.family = k->local.family;
    memcpy(out->local.ip, k->local.ip, 16);
    out->local.port = k->local_port == 500 ? ike_port : k->local_port;
    out->remote.family = k->remote.family;
    memcpy(out->remote.ip, k->remote.ip, 16);
    out->remote.port = k->remote_port;
    out->natt_port = natt_port;
    for (unsigned p = 0; p < k->n_ike; p++)
        prop(&k->ike[p], &out->ike[out->n_ike++]);
    id(&k->local_id, &out->local_id);
    id(&k->remote_id, &out->remote_id);
    out->encap = k->encap;
    out->dpd_delay_ms = k->dpd_delay * 1000;
    out->rekey_time_s = k->rekey_time;
    out->keyingtries = k->keyingtries;
    out->keyingtries_set = true;
    out->fragmentation = frag_mode(k->fragmentation);
    for (unsigned ch = 0; ch < k->n_children; ch++)
        out->dpd_restart = out->dpd_restart || k->child[ch].dpd_action == CONF_DPD_RESTART;

    for (unsigned ch = 0; ch < k->n_children; ch++)
        child(&k->child[ch], &out->child[out->n_children++]);
    const struct secret *psk = conf_psk_find(c, &k->local_id, &k->remote_id);
    if (!psk || !psk->n || psk->n > sizeof out->psk) { /* conf/ refuses empty and long ones already */
        snprintf(err, errcap, "no usable pre-shared key for connection '%s' (secrets { ike-... })", k->name);
        return -1;
    }
    memcpy(out->psk, psk->p, psk->n);
    out->psk_len = (uint8_t)psk->n;
    return 0;
}
