/* wire/rules: payload rule tables per exchange, RFC 7296 1.2-1.5. */
#include "wire/rules.h"
#include <stddef.h>

enum { ANY = IKE_MAX_PAYLOADS };

/* extra conditions a form may put on top of its counts */
enum {
    NEED_ERROR_NOTIFY = 1, /* a notify-only answer: some N is an error type (or COOKIE) */
    NEED_TS_PAIR = 2,      /* TSi and TSr come together */
};

struct msg_form {
    const struct pld_rule *rules; /* ends with { 0 } */
    unsigned need;
};

/* HDR, SAi1, KEi, Ni  -->  (1.2; N(COOKIE) first on a retry, 2.6) */
static const struct pld_rule sa_init_req[] = {
    { IKEV2_PLD_SA, 1, 1 }, { IKEV2_PLD_KE, 1, 1 }, { IKEV2_PLD_NONCE, 1, 1 },
    { IKEV2_PLD_NOTIFY, 0, ANY }, { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };
/* <--  HDR, SAr1, KEr, Nr, [CERTREQ] */
static const struct pld_rule sa_init_resp[] = {
    { IKEV2_PLD_SA, 1, 1 }, { IKEV2_PLD_KE, 1, 1 }, { IKEV2_PLD_NONCE, 1, 1 },
    { IKEV2_PLD_CERTREQ, 0, ANY }, { IKEV2_PLD_NOTIFY, 0, ANY }, { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };
/* <--  HDR, N(COOKIE) | N(INVALID_KE_PAYLOAD) | N(NO_PROPOSAL_CHOSEN)... (1.2, 2.6, 1.3) */
static const struct pld_rule notify_only[] = {
    { IKEV2_PLD_NOTIFY, 1, ANY }, { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };

/* the protected exchanges carry one SK (or one SKF fragment, RFC 7383) */
static const struct pld_rule sk_only[] = { { IKEV2_PLD_SK, 1, 1 }, { 0 } };
static const struct pld_rule skf_only[] = { { IKEV2_PLD_SKF, 1, 1 }, { 0 } };

/* HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] [AUTH,] [SAi2, TSi, TSr]} -->  (1.2;
 * AUTH absent when EAP follows, 2.16; SA/TS absent when childless, RFC 6023) */
static const struct pld_rule auth_req[] = {
    { IKEV2_PLD_IDI, 1, 1 }, { IKEV2_PLD_CERT, 0, ANY }, { IKEV2_PLD_CERTREQ, 0, ANY },
    { IKEV2_PLD_IDR, 0, 1 }, { IKEV2_PLD_AUTH, 0, 1 }, { IKEV2_PLD_SA, 0, 1 },
    { IKEV2_PLD_TSI, 0, 1 }, { IKEV2_PLD_TSR, 0, 1 }, { IKEV2_PLD_CP, 0, 1 },
    { IKEV2_PLD_NOTIFY, 0, ANY }, { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };
/* <--  HDR, SK {IDr, [CERT,] AUTH, [EAP,] [SAr2, TSi, TSr]} */
static const struct pld_rule auth_resp[] = {
    { IKEV2_PLD_IDR, 1, 1 }, { IKEV2_PLD_CERT, 0, ANY }, { IKEV2_PLD_AUTH, 1, 1 },
    { IKEV2_PLD_EAP, 0, 1 }, { IKEV2_PLD_SA, 0, 1 }, { IKEV2_PLD_TSI, 0, 1 },
    { IKEV2_PLD_TSR, 0, 1 }, { IKEV2_PLD_CP, 0, 1 }, { IKEV2_PLD_NOTIFY, 0, ANY },
    { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };
/* the EAP rounds: HDR, SK {EAP} in both directions (2.16) */
static const struct pld_rule auth_eap[] = {
    { IKEV2_PLD_EAP, 1, 1 }, { IKEV2_PLD_NOTIFY, 0, ANY }, { 0 } };
/* HDR, SK {AUTH} -->  after EAP; <--  HDR, SK {AUTH, [SAr2, TSi, TSr]} */
static const struct pld_rule auth_after_eap[] = {
    { IKEV2_PLD_AUTH, 1, 1 }, { IKEV2_PLD_SA, 0, 1 }, { IKEV2_PLD_TSI, 0, 1 },
    { IKEV2_PLD_TSR, 0, 1 }, { IKEV2_PLD_CP, 0, 1 }, { IKEV2_PLD_NOTIFY, 0, ANY },
    { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };

/* HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr]}  -->  and back (1.3) */
static const struct pld_rule child[] = {
    { IKEV2_PLD_SA, 1, 1 }, { IKEV2_PLD_NONCE, 1, 1 }, { IKEV2_PLD_KE, 0, 1 },
    { IKEV2_PLD_TSI, 0, 1 }, { IKEV2_PLD_TSR, 0, 1 }, { IKEV2_PLD_NOTIFY, 0, ANY },
    { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };

/* HDR, SK {[N,] [D,] [CP,] ...}  -->  and back, possibly empty (1.4) */
static const struct pld_rule informational[] = {
    { IKEV2_PLD_NOTIFY, 0, ANY }, { IKEV2_PLD_DELETE, 0, ANY }, { IKEV2_PLD_CP, 0, 1 },
    { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };

/* RFC 9242 / 9370: HDR, SK {[KEi(n)], [N...]} */
static const struct pld_rule intermediate[] = {
    { IKEV2_PLD_KE, 0, 1 }, { IKEV2_PLD_NOTIFY, 0, ANY }, { IKEV2_PLD_VENDOR, 0, ANY }, { 0 } };

/* the forms of each message kind, main form first; each list ends with { NULL } */
static const struct msg_form sa_init_req_forms[] = { { sa_init_req, 0 }, { NULL, 0 } };
static const struct msg_form sa_init_resp_forms[] = {
    { sa_init_resp, 0 }, { notify_only, NEED_ERROR_NOTIFY }, { NULL, 0 } };
static const struct msg_form protected_forms[] = { { sk_only, 0 }, { skf_only, 0 }, { NULL, 0 } };
static const struct msg_form auth_req_forms[] = {
    { auth_req, NEED_TS_PAIR }, { auth_eap, 0 }, { auth_after_eap, NEED_TS_PAIR }, { NULL, 0 } };
static const struct msg_form auth_resp_forms[] = {
    { auth_resp, NEED_TS_PAIR }, { auth_eap, 0 }, { auth_after_eap, NEED_TS_PAIR },
    { notify_only, NEED_ERROR_NOTIFY }, { NULL, 0 } };
static const struct msg_form child_req_forms[] = { { child, NEED_TS_PAIR }, { NULL, 0 } };
static const struct msg_form child_resp_forms[] = {
    { child, NEED_TS_PAIR }, { notify_only, NEED_ERROR_NOTIFY }, { NULL, 0 } };
static const struct msg_form informational_forms[] = { { informational, 0 }, { NULL, 0 } };
static const struct msg_form intermediate_forms[] = { { intermediate, 0 }, { NULL, 0 } };

/* find the rule index of a type in a form, or -1 */
static int rule_index(const struct pld_rule *rules, uint8_t type)
{
    for (int i = 0; rules[i].type; i++) {
        if (rules[i].type == type)
            return i;
    }
    return -1;
}

static bool has_error_notify(const struct ike_chain *c)
{
    for (uint8_t i = 0; i < c->n; i++) {
        const struct ike_pld *p = &c->pld[i];
        if (p->type != IKEV2_PLD_NOTIFY || p->unknown)
            continue;
        if (p->u.notify.type < IKEV2_N_STATUS_FIRST || p->u.notify.type == IKEV2_N_COOKIE)
            return true;
    }
    return false;
}

static int form_check(const struct msg_form *f, const struct ike_chain *c, struct diag *d)
{
    uint8_t count[16] = { 0 };
    for (uint8_t i = 0; i < c->n; i++) {
        const struct ike_pld *p = &c->pld[i];
        if (p->unknown)
            continue;
        int j = rule_index(f->rules, p->type);
        if (j < 0 || j >= (int)sizeof count || ++count[j] > f->rules[j].max)
            return diag_set(d, KITE_E_UNEXPECTED, ike_payload_name(p->type), p->offset);
    }
    for (int j = 0; f->rules[j].type; j++) {
        if (count[j] < f->rules[j].min)
            return diag_set(d, KITE_E_MISSING, ike_payload_name(f->rules[j].type), 0);
    }
    if ((f->need & NEED_ERROR_NOTIFY) && !has_error_notify(c))
        return diag_set(d, KITE_E_MISSING, "N.error", 0);
    if ((f->need & NEED_TS_PAIR) &&
        !ike_chain_find(c, IKEV2_PLD_TSI, 0) != !ike_chain_find(c, IKEV2_PLD_TSR, 0))
        return diag_set(d, KITE_E_MISSING, "TS.pair", 0);
    return 0;
}

/* pass if any form accepts; otherwise report why the first (main) one did not */
static int forms_check(const struct msg_form *forms, const struct ike_chain *c, struct diag *d)
{
    struct diag first = { 0 };
    for (const struct msg_form *f = forms; f->rules; f++) {
        struct diag tmp = { 0 };
        if (!form_check(f, c, &tmp))
            return 0;
        if (f == forms)
            first = tmp;
    }
    return diag_set(d, first.err, first.field, first.offset);
}

/* --- SA proposals in the context of the exchange --- */

static int sa_fail(struct diag *d, const struct ike_pld *p, const char *field)
{
    return diag_set(d, KITE_E_MALFORMED, field, p->offset);
}

static int sa_context_check(uint8_t exchange, bool response, const struct ike_chain *c, struct diag *d)
{
    const struct ike_pld *p = ike_chain_find(c, IKEV2_PLD_SA, 0);
    if (!p)
        return 0;
    const struct ike_sa *sa = &p->u.sa;
    /* 2.7: a response holds the single accepted proposal; a request counts from 1 */
    if (response && sa->n_prop != 1)
        return sa_fail(d, p, "SA.proposal.count");
    if (!response && sa->prop[0].num != 1)
        return sa_fail(d, p, "SA.proposal.num");
    bool ike = sa->prop[0].proto == IKEV2_PROTO_IKE;
    for (uint8_t i = 0; i < sa->n_prop; i++) {
        const struct ike_proposal *q = &sa->prop[i];
        if ((q->proto == IKEV2_PROTO_IKE) != ike)
            return sa_fail(d, p, "SA.proposal.protocol");
        if (exchange == IKEV2_EXCH_IKE_SA_INIT && (!ike || q->spi.n != 0))
            return sa_fail(d, p, !ike ? "SA.proposal.protocol" : "SA.proposal.spi_size");
        if (exchange == IKEV2_EXCH_IKE_AUTH && ike)
            return sa_fail(d, p, "SA.proposal.protocol");
        if (exchange == IKEV2_EXCH_CREATE_CHILD_SA && ike && q->spi.n != 8)
            return sa_fail(d, p, "SA.proposal.spi_size");
    }
    /* 1.3.2: rekeying the IKE SA carries no traffic selectors; 1.3.1: a Child SA does */
    if (exchange == IKEV2_EXCH_CREATE_CHILD_SA && ike && ike_chain_find(c, IKEV2_PLD_TSI, 0))
        return diag_set(d, KITE_E_UNEXPECTED, "TSi", ike_chain_find(c, IKEV2_PLD_TSI, 0)->offset);
    if (exchange != IKEV2_EXCH_IKE_SA_INIT && !ike && !ike_chain_find(c, IKEV2_PLD_TSI, 0))
        return diag_set(d, KITE_E_MISSING, "TSi", 0);
    return 0;
}

static const struct msg_form *inner_forms(uint8_t exchange, bool response)
{
    switch (exchange) {
    case IKEV2_EXCH_IKE_AUTH:
        return response ? auth_resp_forms : auth_req_forms;
    case IKEV2_EXCH_CREATE_CHILD_SA:
        return response ? child_resp_forms : child_req_forms;
    case IKEV2_EXCH_INFORMATIONAL:
        return informational_forms;
    case IKEV2_EXCH_IKE_INTERMEDIATE:
        return intermediate_forms;
    }
    return NULL;
}

int ike_rules_check_inner(uint8_t exchange, bool response, const struct ike_chain *c, struct diag *d)
{
    const struct msg_form *forms = inner_forms(exchange, response);
    if (!forms)
        return diag_set(d, KITE_E_UNSUPPORTED, "hdr.exchange", 18);
    int rc = forms_check(forms, c, d);
    return rc ? rc : sa_context_check(exchange, response, c, d);
}

int ike_rules_check_msg(const struct ike_msg *m, struct diag *d)
{
    const struct msg_form *forms;
    bool response = ike_hdr_is_response(&m->hdr);
    switch (m->hdr.exchange) {
    case IKEV2_EXCH_IKE_SA_INIT:
        forms = response ? sa_init_resp_forms : sa_init_req_forms;
        break;
    case IKEV2_EXCH_IKE_AUTH:
    case IKEV2_EXCH_CREATE_CHILD_SA:
    case IKEV2_EXCH_INFORMATIONAL:
    case IKEV2_EXCH_IKE_INTERMEDIATE:
        forms = protected_forms;
        break;
    default:
        return diag_set(d, KITE_E_UNSUPPORTED, "hdr.exchange", 18);
    }
    int rc = forms_check(forms, &m->chain, d);
    if (rc || m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT)
        return rc;
    return sa_context_check(m->hdr.exchange, response, &m->chain, d);
}
