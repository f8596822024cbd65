/* wire/pld_ts: the Traffic Selector payloads TSi and TSr, RFC 7296 3.13.
 * Address ranges (types 7 and 8) have a fixed selector length: 16 and 40.
 * Other selector types (e.g. TS_SECLABEL) are kept whole for the TS layer,
 * which ignores the ones it does not know. */
#include "wire/pld.h"
#include "wire/wire_int.h"

static size_t addr_len(uint8_t type)
{
    return type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : type == IKEV2_TS_IPV6_ADDR_RANGE ? 16 : 0;
}

static int sel_decode(struct rd *r, struct ike_ts_sel *s, struct diag *d)
{
    size_t at = rd_offset(r);
    uint16_t len;
    struct rd b;
    rd_u8(r, &s->type);
    rd_u8(r, &s->ip_proto);
    rd_be16(r, &len);
    if (wire_sub(r, len, 4, &b, d, "TS.selector.length"))
        return r->err;
    size_t alen = addr_len(s->type);
    s->start_port = s->end_port = 0;
    s->start = s->end = s->raw = span_of(NULL, 0);
    if (!alen) {
        s->raw = rd_rest(&b);
        return 0;
    }
    if (len != 8 + 2 * alen)
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), "TS.selector.length", at + 2);
    rd_be16(&b, &s->start_port);
    rd_be16(&b, &s->end_port);
    rd_span(&b, alen, &s->start);
    rd_span(&b, alen, &s->end);
    return wire_end(&b, d, "TS.selector") ? rd_fail(r, b.err) : 0;
}

int ike_ts_decode(struct rd *r, struct ike_ts *ts, struct ike_pool *pool, struct diag *d)
{
    size_t at = rd_offset(r);
    uint8_t count, res[3];
    rd_u8(r, &count);
    rd_copy(r, res, sizeof res);
    if (wire_check(r, d, "TS"))
        return r->err;
    if (res[0] | res[1] | res[2])
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "TS.reserved", at + 1);
    ts->n = 0;
    ts->sel = &pool->ts[pool->n_ts];
    while (rd_left(r)) {
        if (pool->n_ts == IKE_MAX_TS || ts->n == UINT8_MAX)
            return wire_fail(r, d, KITE_E_TOO_MANY, "TS.selector");
        pool->ts[pool->n_ts] = (struct ike_ts_sel){ 0 };
        if (sel_decode(r, &pool->ts[pool->n_ts], d))
            return r->err;
        pool->n_ts++;
        ts->n++;
    }
    if (ts->n != count)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "TS.count", at);
    return wire_end(r, d, "TS");
}

static int sel_encode(struct wr *w, const struct ike_ts_sel *s)
{
    size_t start = w->len;
    size_t alen = addr_len(s->type);
    wr_u8(w, s->type);
    wr_u8(w, s->ip_proto);
    size_t at = wr_reserve(w, 2);
    if (!alen) {
        wr_span(w, s->raw);
        return wr_patch_len16(w, at, start);
    }
    if (s->start.n != alen || s->end.n != alen)
        return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
    wr_be16(w, s->start_port);
    wr_be16(w, s->end_port);
    wr_span(w, s->start);
    wr_span(w, s->end);
    return wr_patch_len16(w, at, start);
}

int ike_ts_encode(struct wr *w, const struct ike_ts *ts)
{
    wr_u8(w, ts->n);
    wr_zero(w, 3);
    for (uint8_t i = 0; i < ts->n; i++)
        sel_encode(w, &ts->sel[i]);
    return w->err;
}
