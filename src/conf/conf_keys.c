#include "conf/conf_keys.h"
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include "conf/settings.h"

/* ---- the table ----
 * One row per key (or per key and values).  Engineers implementing a key
 * flip its row to CONF_KEY_IMPL when conf.c reads it. */

#define K(scope, name, values, use, why) { scope, name, false, values, use, why }
#define S(scope, name, use, why) { scope, name, true, NULL, use, why }
#define NO "no|false|disabled|0"
#define YES "yes|true|enabled|1"
#define KERNEL "needs the kernel backend (not implemented)"
#define IMPL CONF_KEY_IMPL
#define ACCEPT CONF_KEY_ACCEPT
#define WARN CONF_KEY_WARN
#define REFUSE CONF_KEY_REFUSE

const struct conf_key conf_keys[] = {
    /* the top level */
    S("top", "connections", IMPL, "the connections, one section each"),
    S("top", "secrets", IMPL, "pre-shared keys (ike-x) and key passphrases (private-x, rsa-x, ecdsa-x, pkcs8-x)"),
    S("top", "pools", IMPL, "virtual IP pools: addrs, dns, nbns, dhcp, netmask, subnet, split_include"),
    S("top", "authorities", REFUSE, "certification authority sections (CRL and OCSP URIs) are not implemented: "
                                    "put CA certificates in x509ca/"),
    /* connections.<conn> */
    K("conn", "version", "1", REFUSE, "IKEv1 is not supported (RFC 9395 deprecates it)"),
    K("conn", "version", NULL, IMPL, "0 (any) and 2 mean IKEv2"),
    K("conn", "local_addrs", NULL, IMPL, "addresses, %any, %any4, %any6, DNS names; comma lists"),
    K("conn", "remote_addrs", NULL, IMPL, "addresses, %any, %any4, %any6, DNS names; ranges and subnets "
                                          "(responder only); comma lists"),
    K("conn", "local_port", NULL, IMPL, ""),
    K("conn", "remote_port", NULL, IMPL, ""),
    K("conn", "proposals", NULL, IMPL, "strongSwan's proposal keywords"),
    K("conn", "vips", NULL, IMPL, "virtual IPs asked for in IKE_AUTH: 0.0.0.0, ::, or an address"),
    K("conn", "pools", NULL, IMPL, "the pools a gateway assigns virtual IPs from"),
    K("conn", "aggressive", NULL, ACCEPT, "IKEv1 only (Aggressive Mode)"),
    K("conn", "pull", NULL, ACCEPT, "IKEv1 only (Mode Config pull or push)"),
    K("conn", "dscp", "000000", ACCEPT, "the default"),
    K("conn", "dscp", NULL, WARN, "IKE packets are sent with DSCP 0 (a QoS marking only)"),
    K("conn", "encap", NULL, IMPL, ""),
    K("conn", "mobike", NULL, IMPL, "MOBIKE (RFC 4555): yes, no"),
    K("conn", "dpd_delay", NULL, IMPL, ""),
    K("conn", "dpd_timeout", NULL, WARN, "IKEv1 only in strongSwan: no effect in IKEv2 (a peer is dead when a request "
                                         "goes unanswered through the retransmissions)"),
    K("conn", "fragmentation", NULL, IMPL, "yes, accept, force, no (RFC 7383)"),
    K("conn", "childless", "allow|never", ACCEPT, "kite creates the first Child SA with IKE_AUTH"),
    K("conn", "childless", NULL, REFUSE, "childless IKE SAs (RFC 6023) are not implemented"),
    K("conn", "send_certreq", NULL, IMPL, ""),
    K("conn", "send_cert", NULL, IMPL, "ifasked, always, never"),
    K("conn", "ocsp", "reply|no", ACCEPT, "kite sends no OCSP responses in IKE, which peers do without"),
    K("conn", "ocsp", NULL, REFUSE, "OCSP requests in IKE are not implemented (revocation would be checked less)"),
    K("conn", "ppk_id", NULL, REFUSE, "postquantum preshared keys (RFC 8784) are not implemented"),
    K("conn", "ppk_required", NO, ACCEPT, "the default"),
    K("conn", "ppk_required", NULL, REFUSE, "postquantum preshared keys (RFC 8784) are not implemented"),
    K("conn", "keyingtries", NULL, IMPL, ""),
    K("conn", "unique", NULL, IMPL, "no, never, keep, replace"),
    K("conn", "reauth_time", NULL, IMPL, "make-before-break reauthentication (RFC 7296 2.8.3)"),
    K("conn", "rekey_time", NULL, IMPL, ""),
    K("conn", "over_time", NULL, IMPL, "the IKE SA's hard lifetime"),
    K("conn", "rand_time", NULL, IMPL, "the random part taken off rekey_time and reauth_time"),
    K("conn", "if_id_in", "0", ACCEPT, "the default"),
    K("conn", "if_id_in", NULL, REFUSE, KERNEL),
    K("conn", "if_id_out", "0", ACCEPT, "the default"),
    K("conn", "if_id_out", NULL, REFUSE, KERNEL),
    K("conn", "mediation", NO, ACCEPT, "the default"),
    K("conn", "mediation", NULL, REFUSE, "the mediation extension is not implemented"),
    K("conn", "mediated_by", NULL, REFUSE, "the mediation extension is not implemented"),
    K("conn", "mediation_peer", NULL, REFUSE, "the mediation extension is not implemented"),
    S("conn", "children", IMPL, "the Child SAs, one section each"),
    S("conn", "local*", IMPL, "the local authentication round: local or one local-x (more are refused: RFC 4739 "
                              "multiple rounds are not implemented)"),
    S("conn", "remote*", IMPL, "the remote authentication round: remote or one remote-x (more are refused)"),
    /* connections.<conn>.local<suffix> and remote<suffix> */
    K("auth", "auth", NULL, IMPL, "psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, ed448 (-sha256 ... constraints), "
                                  "eap-mschapv2 (eap), eap-tls; other EAP methods and xauth refused"),
    K("auth", "id", NULL, IMPL, "strongSwan's identity syntax: addresses, @fqdn, user@host, DNs, @#hex; "
                                "wildcards in remote ids"),
    K("auth", "certs", NULL, IMPL, "certificate files in x509/"),
    K("auth", "round", NULL, ACCEPT, "orders rounds; kite has one"),
    K("auth", "pubkeys", NULL, REFUSE, "raw public keys (pubkeys) are not supported yet: use certs"),
    K("auth", "eap_id", NULL, IMPL, "the EAP identity (EAP-MSCHAPv2; EAP-TLS: the identity the client's certificate must hold)"),
    K("auth", "aaa_id", NULL, REFUSE, "EAP (AAA identity) is not supported yet"),
    K("auth", "xauth_id", NULL, ACCEPT, "IKEv1 only (XAuth)"),
    S("auth", "cert*", REFUSE, "certificate subsections (file, handle, slot, module) are not supported yet: "
                               "use certs = FILE"),
    K("remote", "cacerts", NULL, IMPL, "CA certificate files in x509ca/"),
    K("remote", "revocation", NULL, IMPL, "strict, ifuri, relaxed"),
    K("remote", "groups", NULL, REFUSE, "group membership checks are not implemented"),
    K("remote", "cert_policy", NULL, REFUSE, "certificate policy checks are not implemented"),
    K("remote", "ca_id", NULL, REFUSE, "CA identity constraints (ca_id) are not implemented"),
    S("remote", "cacert*", REFUSE, "CA certificate subsections are not supported yet: use cacerts = FILE"),
    /* connections.<conn>.children.<child> */
    K("child", "esp_proposals", NULL, IMPL, "strongSwan's proposal keywords"),
    K("child", "ah_proposals", NULL, REFUSE, "AH is not implemented (ESP only)"),
    K("child", "sha256_96", NO, ACCEPT, "the default"),
    K("child", "sha256_96", NULL, REFUSE, "HMAC-SHA-256 truncated to 96 bits is not implemented"),
    K("child", "local_ts", NULL, IMPL, "subnets, ranges, dynamic, [proto/port]"),
    K("child", "remote_ts", NULL, IMPL, "subnets, ranges, dynamic, [proto/port]"),
    K("child", "rekey_time", NULL, IMPL, ""),
    K("child", "life_time", NULL, IMPL, ""),
    K("child", "rand_time", NULL, IMPL, ""),
    K("child", "rekey_bytes", NULL, IMPL, ""),
    K("child", "life_bytes", NULL, IMPL, ""),
    K("child", "rekey_packets", NULL, IMPL, ""),
    K("child", "life_packets", NULL, IMPL, ""),
    K("child", "rand_bytes", "0", ACCEPT, "no jitter"),
    K("child", "rand_bytes", NULL, WARN, "volume rekeys happen at rekey_bytes, without jitter"),
    K("child", "rand_packets", "0", ACCEPT, "no jitter"),
    K("child", "rand_packets", NULL, WARN, "volume rekeys happen at rekey_packets, without jitter"),
    K("child", "updown", NULL, IMPL, "a command run on up and down events with charon's environment"),
    K("child", "hostaccess", NULL, IMPL, "PLUTO_HOST_ACCESS=1 in the updown script's environment, as charon"),
    K("child", "mode", "tunnel|transport", IMPL, ""),
    K("child", "mode", "pass|drop", REFUSE, "shunt policies are not implemented in the userspace data plane"),
    K("child", "mode", "beet", REFUSE, "BEET mode is not implemented"),
    K("child", "mode", "iptfs", REFUSE, "IP-TFS (RFC 9347) is not implemented"),
    K("child", "mode", NULL, IMPL, "tunnel, transport"),
    K("child", "policies", YES, ACCEPT, "the default"),
    K("child", "policies", NULL, REFUSE, "SAs without policies " KERNEL),
    K("child", "policies_fwd_out", NO, ACCEPT, "the default"),
    K("child", "policies_fwd_out", YES, WARN, "no effect: forwarded traffic matching the selectors is protected anyway"),
    K("child", "policies_fwd_out", NULL, REFUSE, "expected yes or no"),
    K("child", "dpd_action", NULL, IMPL, "clear, trap, restart"),
    K("child", "ipcomp", NO, ACCEPT, "the default"),
    K("child", "ipcomp", NULL, REFUSE, "IPComp (RFC 3173) is not implemented"),
    K("child", "inactivity", "0|0s", ACCEPT, "the default"),
    K("child", "inactivity", NULL, WARN, "inactivity timeouts are not implemented: the Child SA stays up"),
    K("child", "reqid", "0", ACCEPT, "the default"),
    K("child", "reqid", NULL, REFUSE, KERNEL),
    K("child", "priority", "0", ACCEPT, "the default"),
    K("child", "priority", NULL, REFUSE, "policy priorities: the userspace data plane orders its policies itself"),
    K("child", "interface", NULL, REFUSE, KERNEL),
    K("child", "mark_in", "0|0/0|0/0x00000000", ACCEPT, "the default"),
    K("child", "mark_in", NULL, REFUSE, KERNEL),
    K("child", "mark_in_sa", NO, ACCEPT, "the default"),
    K("child", "mark_in_sa", NULL, REFUSE, KERNEL),
    K("child", "mark_out", "0|0/0|0/0x00000000", ACCEPT, "the default"),
    K("child", "mark_out", NULL, REFUSE, KERNEL),
    K("child", "set_mark_in", "0|0/0|0/0x00000000", ACCEPT, "the default"),
    K("child", "set_mark_in", NULL, REFUSE, KERNEL),
    K("child", "set_mark_out", "0|0/0|0/0x00000000", ACCEPT, "the default"),
    K("child", "set_mark_out", NULL, REFUSE, KERNEL),
    K("child", "if_id_in", "0", ACCEPT, "the default"),
    K("child", "if_id_in", NULL, REFUSE, KERNEL),
    K("child", "if_id_out", "0", ACCEPT, "the default"),
    K("child", "if_id_out", NULL, REFUSE, KERNEL),
    K("child", "label", NULL, REFUSE, "security labels are not implemented"),
    K("child", "label_mode", NULL, WARN, "kite has no security labels"),
    K("child", "tfc_padding", "0", ACCEPT, "the default"),
    K("child", "tfc_padding", NULL, REFUSE, "TFC padding (RFC 4303 2.7) is not implemented"),
    K("child", "replay_window", NULL, IMPL, ""),
    K("child", "per_cpu_sas", NO, ACCEPT, "the default"),
    K("child", "per_cpu_sas", NULL, REFUSE, KERNEL),
    K("child", "hw_offload", NO, ACCEPT, "the default"),
    K("child", "hw_offload", "auto", ACCEPT, "no offload to be had: none used"),
    K("child", "hw_offload", NULL, REFUSE, KERNEL),
    K("child", "copy_df", YES, ACCEPT, "the default"),
    K("child", "copy_df", NO, WARN, "no effect: the kernel's socket builds the outer IP header"),
    K("child", "copy_df", NULL, REFUSE, "expected yes or no"),
    K("child", "copy_ecn", YES, ACCEPT, "the default"),
    K("child", "copy_ecn", NO, WARN, "no effect: the kernel's socket builds the outer IP header"),
    K("child", "copy_ecn", NULL, REFUSE, "expected yes or no"),
    K("child", "copy_dscp", "out", ACCEPT, "the default"),
    K("child", "copy_dscp", "no|in|yes", WARN, "no effect: the kernel's socket builds the outer IP header"),
    K("child", "copy_dscp", NULL, REFUSE, "expected no, in, out or yes"),
    K("child", "icmp", NO, ACCEPT, "the default"),
    K("child", "icmp", NULL, REFUSE, "forwarding ICMP errors outside the selectors is not implemented"),
    K("child", "start_action", NULL, IMPL, "none, start, trap (route: trap's old name)"),
    K("child", "close_action", NULL, IMPL, "none, clear, trap, start"),
    /* secrets */
    K("secret", "secret", NULL, IMPL, "text, 0x<hex>, 0s<base64>"),
    K("secret", "id*", NULL, IMPL, "the identities the key is for"),
    K("keysecret", "file", NULL, IMPL, "the key file in private/, rsa/, ecdsa/, pkcs8/"),
    K("keysecret", "secret", NULL, IMPL, "its passphrase"),
    S("secrets", "ike*", IMPL, "a pre-shared key"),
    S("secrets", "private*", IMPL, "a key file's passphrase"),
    S("secrets", "rsa*", IMPL, "a key file's passphrase"),
    S("secrets", "ecdsa*", IMPL, "a key file's passphrase"),
    S("secrets", "pkcs8*", IMPL, "a key file's passphrase"),
    S("secrets", "eap*", IMPL, "an EAP user's password (EAP-MSCHAPv2)"),
    S("secrets", "xauth*", WARN, "XAuth is IKEv1 only: the secret is not used"),
    S("secrets", "ntlm*", WARN, "NTLM secrets are not supported: the secret is not used"),
    S("secrets", "ppk*", WARN, "postquantum preshared keys are not implemented: the secret is not used"),
    S("secrets", "pkcs12*", WARN, "PKCS#12 containers are not supported: the secret is not used"),
    S("secrets", "token*", WARN, "smartcards are not supported: the PIN is not used"),
};
const size_t conf_keys_n = sizeof conf_keys / sizeof conf_keys[0];

/* ---- matching ---- */

static bool name_matches(const char *pattern, const char *name)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return !strncasecmp(pattern, name, n - 1);
    return !strcasecmp(pattern, name);
}

static bool value_in(const char *values, const char *v)
{
    size_t vn = strlen(v);
    for (const char *p = values; p && *p;) {
        size_t n = strcspn(p, "|");
        if (n == vn && !strncasecmp(p, v, n))
            return true;
        p += n + (p[n] == '|');
    }
    return false;
}

/* the row for a key or section in scope (or scope2), or NULL */
static const struct conf_key *row_of(const char *scope, const char *scope2, const struct set_node *n)
{
    for (size_t i = 0; i < conf_keys_n; i++) {
        const struct conf_key *k = &conf_keys[i];
        if ((strcmp(k->scope, scope) && (!scope2 || strcmp(k->scope, scope2))) || k->section != !n->value ||
            !name_matches(k->name, n->name))
            continue;
        if (!k->values || (n->value && value_in(k->values, n->value)))
            return k;
    }
    return NULL;
}

/* ---- checking a tree ---- */

struct kx {
    char *err;
    size_t errcap;
    conf_keys_warn_fn *warn, *report; /* report: list every refusal, go on */
    void *ctx;
    int refused;
};

static int emit(struct kx *x, bool refusal, const struct set_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int emit(struct kx *x, bool refusal, const struct set_node *n, const char *fmt, ...)
{
    char msg[768];
    /* a node from a VICI message has no line: its file is the key's path */
    int k = n->line > 0 ? snprintf(msg, sizeof msg, "%s:%d: ", n->file ? n->file : "?", n->line)
                        : snprintf(msg, sizeof msg, "%s: ", n->file ? n->file : "?");
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < sizeof msg)
        vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    if (!refusal) {
        if (x->warn)
            x->warn(x->ctx, msg);
        return 0;
    }
    x->refused++;
    if (x->report) {
        x->report(x->ctx, msg);
        return 0;
    }
    snprintf(x->err, x->errcap, "%s", msg);
    return -1;
}

/* one key or section against its row; 0 to go on */
static int judge(struct kx *x, const char *where, const char *scope, const char *scope2, struct set_node *n)
{
    const struct conf_key *k = row_of(scope, scope2, n);
    const char *what = n->value ? "key" : "section";
    if (!k)
        return emit(x, true, n, "%s: unknown %s '%s' refused: swanctl.conf has no such %s here, and kite does not "
                    "guess what it would mean", where, what, n->name, what);
    if (k->use == CONF_KEY_ACCEPT || k->use == CONF_KEY_WARN)
        n->used = true;
    if (k->use == CONF_KEY_IMPL || k->use == CONF_KEY_ACCEPT)
        return 0;
    bool refuse = k->use == CONF_KEY_REFUSE;
    if (n->value)
        return emit(x, refuse, n, "%s: %s = %.64s %s: %s", where, n->name, n->value, refuse ? "refused" : "ignored",
                    k->why);
    return emit(x, refuse, n, "%s: section '%s' %s: %s", where, n->name, refuse ? "refused" : "ignored", k->why);
}

static int check_keys(struct kx *x, const char *where, const char *scope, const char *scope2, struct set_node *sec)
{
    for (struct set_node *n = sec->child; n; n = n->next)
        if (judge(x, where, scope, scope2, n))
            return -1;
    return 0;
}

static bool is_round(const struct set_node *n, const char *side)
{
    return !n->value && !strncasecmp(n->name, side, strlen(side));
}

struct set_node *conf_keys_round(struct set_node *conn, const char *side)
{
    for (struct set_node *n = conn ? conn->child : NULL; n; n = n->next)
        if (is_round(n, side))
            return n;
    return NULL;
}

/* RFC 4739's rounds: one per side (its name local or local-x), never more */
static int check_rounds(struct kx *x, const char *where, struct set_node *conn, const char *side)
{
    struct set_node *first = NULL;
    for (struct set_node *n = conn->child; n; n = n->next) {
        if (!is_round(n, side))
            continue;
        if (first && emit(x, true, n, "%s: authentication round '%s' refused: multiple authentication rounds "
                          "(RFC 4739: %s and %s) are not implemented; one round may be named %s or %s-x", where,
                          n->name, first->name, n->name, side, side))
            return -1;
        if (!first) {
            first = n;
            char at[160];
            snprintf(at, sizeof at, "%s %s", where, n->name);
            if (check_keys(x, at, side, "auth", n))
                return -1;
        }
    }
    return 0;
}

static int check_conn(struct kx *x, struct set_node *conn)
{
    char where[160];
    snprintf(where, sizeof where, "connection '%.64s'", conn->name);
    if (conn->value)
        return 0; /* conf.c says what is wrong */
    for (struct set_node *n = conn->child; n; n = n->next)
        if (!is_round(n, "local") && !is_round(n, "remote") && judge(x, where, "conn", NULL, n))
            return -1;
    if (check_rounds(x, where, conn, "local") || check_rounds(x, where, conn, "remote"))
        return -1;
    struct set_node *chs = set_find(conn, "children");
    for (struct set_node *ch = chs && !chs->value ? chs->child : NULL; ch; ch = ch->next) {
        if (ch->value)
            continue; /* conf.c refuses it */
        char at[240];
        snprintf(at, sizeof at, "%s child '%.64s'", where, ch->name);
        if (check_keys(x, at, "child", NULL, ch))
            return -1;
    }
    return 0;
}

int conf_keys_check_conn(struct set_node *conn, char *err, size_t errcap, conf_keys_warn_fn *warn, void *ctx)
{
    struct kx x = { err, errcap, warn, NULL, ctx, 0 };
    return check_conn(&x, conn);
}

static int check_secrets(struct kx *x, struct set_node *sec)
{
    for (struct set_node *n = sec->child; n; n = n->next) {
        const struct conf_key *k = row_of("secrets", NULL, n);
        if (judge(x, "secrets", "secrets", NULL, n))
            return -1;
        if (!k || k->use != CONF_KEY_IMPL)
            continue;
        char where[96];
        snprintf(where, sizeof where, "secret '%.64s'", n->name);
        bool psk = name_matches("ike*", n->name) || name_matches("eap*", n->name);
        if (check_keys(x, where, psk ? "secret" : "keysecret", NULL, n))
            return -1;
    }
    return 0;
}

static int check_top(struct kx *x, struct set_node *root, bool conns)
{
    for (struct set_node *n = root->child; n; n = n->next) {
        const struct conf_key *k = row_of("top", NULL, n);
        if (!k) {
            /* swanctl reads none of these: a template, or nothing */
            if (!n->used && (n->used = true))
                emit(x, false, n, "the top level: %s '%s' ignored: swanctl.conf's top level has connections, "
                     "secrets, pools and authorities", n->value ? "key" : "section", n->name);
            continue;
        }
        if (judge(x, "the top level", "top", NULL, n))
            return -1;
        if (k->use != CONF_KEY_IMPL)
            continue;
        if (!strcmp(n->name, "secrets") && check_secrets(x, n))
            return -1;
        for (struct set_node *c = conns && !strcmp(n->name, "connections") ? n->child : NULL; c; c = c->next)
            if (check_conn(x, c))
                return -1;
    }
    return 0;
}

int conf_keys_check_top(struct set_node *root, char *err, size_t errcap, conf_keys_warn_fn *warn, void *ctx)
{
    struct kx x = { err, errcap, warn, NULL, ctx, 0 };
    return check_top(&x, root, false);
}

int conf_keys_scan(struct set_node *root, conf_keys_warn_fn *report, void *ctx)
{
    struct kx x = { NULL, 0, NULL, report, ctx, 0 };
    check_top(&x, root, true);
    return x.refused;
}

/* the values of a row, "no, false, disabled, 0" (a '|' would end the cell) */
static void put_values(FILE *out, const struct conf_key *k)
{
    if (k->section) {
        fputs("", out);
        return;
    }
    if (!k->values) {
        fputs("any", out);
        return;
    }
    for (const char *p = k->values; *p; p++) {
        if (*p == '|')
            fputs(", ", out);
        else
            fputc(*p, out);
    }
}

void conf_keys_markdown(FILE *out)
{
    static const char *const use[] = { "implemented", "accepted", "ignored (warning)", "refused" };
    fprintf(out, "| scope | key | values | kite | why |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < conf_keys_n; i++) {
        const struct conf_key *k = &conf_keys[i];
        fprintf(out, "| %s | `%s%s` | ", k->scope, k->name, k->section ? " { }" : "");
        put_values(out, k);
        fprintf(out, " | %s | %s |\n", use[k->use], k->why);
    }
}
