/* kitectl_diag: `kitectl diagnose CONN` initiates CONN with control-log at
 * level 2, keeps the lines, and explains a failure in one paragraph from
 * them.  kited and charon word their lines differently; each cause below
 * matches both (the patterns name which daemon writes them):
 *   no proposal in common  "received NO_PROPOSAL_CHOSEN" (both); what we
 *                          offered from "configured proposals: ..." (charon
 *                          at level 2, kited at level 2), what the peer
 *                          offered from "received proposals: ..." when the
 *                          log has it
 *   authentication         "received AUTHENTICATION_FAILED" (both): the peer
 *                          refused us; "authentication of '...' failed"
 *                          (kited), "MAC mismatched", "constraint check
 *                          failed", "no shared key found" (charon): we
 *                          refused the peer
 *   no answer              "retransmit N of request with message ID 0" and
 *                          "giving up after N retransmits" (both), or the
 *                          timeout with no IKE_SA_INIT response parsed
 *   traffic selectors      "TS_UNACCEPTABLE" (both)
 * An attempt still running at --timeout is terminated (its IKE SA's unique
 * id is in the lines: "IKE_SA NAME[ID]"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kitectl.h"

/* what list-conns says of the connection */
struct conn_info {
    bool found;
    char child[128], remote[128], local_id[128], remote_id[128];
    char local_ts[256], remote_ts[256];
    char list[32], sec[32]; /* the list and the section being walked */
};

/* the control-log lines of the attempt */
struct lines {
    char **v;
    size_t n;
};

static void cat(char *dst, size_t cap, struct span v)
{
    size_t o = strlen(dst);
    snprintf(dst + o, cap - o, "%s%.*s", o ? ", " : "", (int)v.n, (const char *)v.p);
}

static void set(char *dst, size_t cap, struct span v)
{
    snprintf(dst, cap, "%.*s", (int)v.n, (const char *)v.p);
}

static int conn_visit(void *ctx, const struct vici_elem *e)
{
    struct conn_info *ci = ctx;
    ci->found = true;
    if (e->type == VICI_LIST_START)
        set(ci->list, sizeof ci->list, e->name);
    if (e->type == VICI_SECTION_START && e->depth == 1)
        set(ci->sec, sizeof ci->sec, e->name);
    if (e->type == VICI_SECTION_START && e->depth == 2 && !strcmp(ci->sec, "children") && !ci->child[0])
        set(ci->child, sizeof ci->child, e->name);
    if (e->type == VICI_KEY_VALUE && e->depth == 2 && ctl_name_is(e, "id"))
        set(!strncmp(ci->sec, "local", 5) ? ci->local_id : ci->remote_id, sizeof ci->local_id, e->value);
    if (e->type != VICI_LIST_ITEM)
        return 0;
    if (e->depth == 1 && !strcmp(ci->list, "remote_addrs"))
        cat(ci->remote, sizeof ci->remote, e->value);
    if (e->depth == 3 && !strcmp(ci->list, "local-ts"))
        cat(ci->local_ts, sizeof ci->local_ts, e->value);
    if (e->depth == 3 && !strcmp(ci->list, "remote-ts"))
        cat(ci->remote_ts, sizeof ci->remote_ts, e->value);
    return 0;
}

static int conn_lookup(struct ctl *c, const char *conn, struct conn_info *ci)
{
    const char *kv[] = { "ike", conn, NULL };
    if (ctl_register(c, "list-conn") || ctl_send(c, VICI_CMD_REQUEST, "list-conns", kv))
        return -1;
    while (ctl_recv(c, 0) && ctl_is_event(c, "list-conn"))
        if (!ci->found)
            vici_msg_walk(c->pk.msg, VICI_DEPTH_MAX, conn_visit, ci);
    ctl_send(c, VICI_EVENT_UNREGISTER, "list-conn", NULL);
    return ctl_recv(c, 0) ? 0 : -1;
}

/* ---- the attempt ---- */

static void keep(struct lines *ls, const char *msg)
{
    char **v = realloc(ls->v, (ls->n + 1) * sizeof *v);
    if (!v)
        return;
    ls->v = v;
    if ((v[ls->n] = strdup(msg)))
        ls->n++;
}

/* control-log lines until the response; false when none came in time */
static bool collect(struct ctl *c, struct lines *ls, int wait_ms)
{
    while (ctl_recv(c, wait_ms)) {
        char msg[2048];
        if (!ctl_is_event(c, "control-log"))
            return c->pk.op == VICI_CMD_RESPONSE;
        if (vici_msg_get_str(c->pk.msg, "msg", msg, sizeof msg))
            keep(ls, msg);
    }
    return false;
}

/* the last line containing all of a, b (b may be NULL) */
static const char *find(const struct lines *ls, const char *a, const char *b)
{
    for (size_t i = ls->n; i-- > 0;)
        if (strstr(ls->v[i], a) && (!b || strstr(ls->v[i], b)))
            return ls->v[i];
    return NULL;
}

static int count(const struct lines *ls, const char *a, const char *b)
{
    int n = 0;
    for (size_t i = 0; i < ls->n; i++)
        n += strstr(ls->v[i], a) && (!b || strstr(ls->v[i], b));
    return n;
}

/* the text after `key` in the last line that has it ("IKE:AES_GCM_16_256/...") */
static const char *after(const struct lines *ls, const char *key, const char *prefix)
{
    const char *l = find(ls, key, prefix);
    return l ? strstr(l, key) + strlen(key) : NULL;
}

/* the IKE SA's unique id from "IKE_SA NAME[ID]", 0 if not seen */
static unsigned ike_id(const struct lines *ls, const char *conn)
{
    char pat[160];
    snprintf(pat, sizeof pat, "IKE_SA %s[", conn);
    for (size_t i = 0; i < ls->n; i++) {
        const char *p = strstr(ls->v[i], pat);
        if (p)
            return (unsigned)strtoul(p + strlen(pat), NULL, 10);
    }
    return 0;
}

static void stop_attempt(struct ctl *c, const struct lines *ls, const char *conn)
{
    char id[16];
    unsigned n = ike_id(ls, conn);
    if (!n)
        return;
    snprintf(id, sizeof id, "%u", n);
    const char *kv[] = { "ike-id", id, "timeout", "2000", "force", "yes", NULL };
    struct lines ignored = { 0 };
    if (!ctl_send(c, VICI_CMD_REQUEST, "terminate", kv))
        collect(c, &ignored, 5000);
    for (size_t i = 0; i < ignored.n; i++)
        free(ignored.v[i]);
    free(ignored.v);
}

/* ---- the explanations ---- */

struct verdict {
    const char *cause;    /* for --json: no-proposal, auth-refused-by-peer, ... */
    char text[2048];
};

static bool why_proposal(const struct lines *ls, const struct conn_info *ci, const char *conn, struct verdict *v)
{
    if (!find(ls, "NO_PROPOSAL_CHOSEN", "received"))
        return false;
    bool child = find(ls, "established", "IKE_SA") != NULL;
    const char *pfx = child ? "ESP:" : "IKE:";
    const char *ours = after(ls, "configured proposals: ", pfx), *theirs = after(ls, "received proposals: ", pfx);
    char peer[400] = "";
    if (theirs)
        snprintf(peer, sizeof peer, "; the peer offered %s", theirs);
    v->cause = "no-proposal";
    snprintf(v->text, sizeof v->text,
             "'%s' failed: no proposal in common. The peer %s answered our %s with NO_PROPOSAL_CHOSEN: it accepts "
             "none of the %s proposals we offered (%s)%s. Give the connection's %s on both sides at least one "
             "proposal in common (encryption, integrity or PRF, and key exchange group).",
             conn, ci->remote[0] ? ci->remote : "", child ? "Child SA request" : "IKE_SA_INIT",
             child ? "ESP" : "IKE", ours ? ours : "not in the daemon's log", peer,
             child ? "esp_proposals" : "proposals");
    return true;
}

/* we refused the peer: kited's and charon's wordings */
static const char *we_refused(const struct lines *ls)
{
    static const char *const pat[][2] = { { "authentication of '", "failed" },
                                          { "responder authentication failed", NULL },
                                          { "MAC mismatched", NULL },
                                          { "constraint check failed", NULL },
                                          { "no shared key found", NULL },
                                          { "verification of AUTH", "failed" } };
    for (size_t i = 0; i < sizeof pat / sizeof pat[0]; i++) {
        const char *l = find(ls, pat[i][0], pat[i][1]);
        if (l)
            return l;
    }
    return NULL;
}

static bool why_auth(const struct lines *ls, const struct conn_info *ci, const char *conn, struct verdict *v)
{
    const char *ours = we_refused(ls);
    if (ours) {
        v->cause = "auth-refused-by-us";
        snprintf(v->text, sizeof v->text,
                 "'%s' failed: we refused the peer's authentication (\"%s\"). The peer %s sent an AUTH that does "
                 "not verify with the pre-shared key we hold for it, or an identity other than the one we expect "
                 "(remote id %s): the two sides have different secrets for %s ... %s, or the peer's local id is "
                 "not our remote id.",
                 conn, ours, ci->remote, ci->remote_id[0] ? ci->remote_id : "-", ci->local_id, ci->remote_id);
        return true;
    }
    if (!find(ls, "AUTHENTICATION_FAILED", "received"))
        return false;
    v->cause = "auth-refused-by-peer";
    snprintf(v->text, sizeof v->text,
             "'%s' failed: the peer %s refused our authentication (AUTHENTICATION_FAILED in answer to our IKE_AUTH; "
             "IKE_SA_INIT had succeeded, so the peer is reachable and the proposals match). With a pre-shared key "
             "the secret differs between the two sides, or our identity (%s) is not one the peer has a connection "
             "or secret for (its remote id). Compare the secrets for %s ... %s on both sides.",
             conn, ci->remote, ci->local_id[0] ? ci->local_id : "-", ci->local_id, ci->remote_id);
    return true;
}

static bool why_ts(const struct lines *ls, const struct conn_info *ci, const char *conn, struct verdict *v)
{
    if (!find(ls, "TS_UNACCEPTABLE", NULL))
        return false;
    v->cause = "ts-unacceptable";
    snprintf(v->text, sizeof v->text,
             "'%s' failed: traffic selectors refused (TS_UNACCEPTABLE). The IKE SA came up, authentication "
             "passed, but the peer %s does not accept the Child SA '%s': we proposed local %s and remote %s, and "
             "the peer's local_ts/remote_ts do not cover them. Make each side's remote_ts the other's local_ts.",
             conn, ci->remote, ci->child, ci->local_ts[0] ? ci->local_ts : "-",
             ci->remote_ts[0] ? ci->remote_ts : "-");
    return true;
}

static bool why_silence(const struct lines *ls, const struct conn_info *ci, const char *conn, int timeout_s,
                        bool timed_out, struct verdict *v)
{
    int init = count(ls, "retransmit ", "message ID 0"), auth = count(ls, "retransmit ", "message ID 1");
    bool answered = find(ls, "IKE_SA_INIT response", "parsed") != NULL;
    bool gave_up = find(ls, "giving up after", NULL) != NULL;
    if (!answered && (init || gave_up || timed_out)) {
        v->cause = "no-answer";
        snprintf(v->text, sizeof v->text,
                 "'%s' failed: no answer from the peer %s. Our IKE_SA_INIT request got no response after %d "
                 "retransmission%s (%s): the peer is unreachable (routing, a host that is down), runs no IKE "
                 "daemon on UDP port 500, or a firewall on the way drops the packets.",
                 conn, ci->remote, init, init == 1 ? "" : "s",
                 gave_up ? "the daemon gave up" : timed_out ? "kitectl stopped waiting at --timeout" : "then the attempt ended");
        (void)timeout_s;
        return true;
    }
    if (answered && (auth || (timed_out && !find(ls, "established", "IKE_SA")))) {
        v->cause = "ike-auth-no-answer";
        snprintf(v->text, sizeof v->text,
                 "'%s' failed: the peer %s answered IKE_SA_INIT but not IKE_AUTH (%d retransmission%s): UDP port "
                 "4500 is probably filtered on the way (NAT traversal moves there), or large IKE_AUTH messages are "
                 "lost as IP fragments (try fragmentation = yes).",
                 conn, ci->remote, auth, auth == 1 ? "" : "s");
        return true;
    }
    return false;
}

static void explain(const struct lines *ls, const struct conn_info *ci, const char *conn, const char *errmsg,
                    int timeout_s, bool timed_out, struct verdict *v)
{
    if (!ci->found && !ls->n) {
        v->cause = "no-such-conn";
        snprintf(v->text, sizeof v->text, "'%s' failed: the daemon has no connection of that name (%s).", conn,
                 errmsg[0] ? errmsg : "list-conns does not show it");
        return;
    }
    if (why_proposal(ls, ci, conn, v) || why_auth(ls, ci, conn, v) || why_ts(ls, ci, conn, v) ||
        why_silence(ls, ci, conn, timeout_s, timed_out, v))
        return;
    v->cause = timed_out ? "timeout" : "unknown";
    snprintf(v->text, sizeof v->text,
             "'%s' failed%s%s; nothing in the log matched a cause kitectl knows (no proposal, authentication, no "
             "answer, traffic selectors). The last line was: %s",
             conn, timed_out ? " to come up within --timeout" : ": ", timed_out ? "" : errmsg,
             ls->n ? ls->v[ls->n - 1] : "(none)");
}

/* ---- output ---- */

static void print_json(const struct lines *ls, const char *conn, const struct verdict *v, bool ok)
{
    fputs("{\"conn\":", stdout);
    show_json_str(conn, strlen(conn));
    printf(",\"success\":\"%s\",\"cause\":", ok ? "yes" : "no");
    show_json_str(v->cause, strlen(v->cause));
    fputs(",\"explanation\":", stdout);
    show_json_str(v->text, strlen(v->text));
    fputs(",\"log\":[", stdout);
    for (size_t i = 0; i < ls->n; i++) {
        fputs(i ? "," : "", stdout);
        show_json_str(ls->v[i], strlen(ls->v[i]));
    }
    fputs("]}\n", stdout);
}

/* success: the SA's summary, as `status` prints it */
static void print_up(struct ctl *c, const char *conn, struct verdict *v)
{
    struct sa_line l = { .c = c };
    const char *kv[] = { "ike", conn, NULL };
    v->cause = "established";
    snprintf(v->text, sizeof v->text, "'%s' is up.", conn);
    if (c->json)
        return;
    show_tone(c, TONE_GOOD, v->text);
    putchar('\n');
    if (ctl_register(c, "list-sa") || ctl_send(c, VICI_CMD_REQUEST, "list-sas", kv))
        return;
    while (ctl_recv(c, 0) && ctl_is_event(c, "list-sa"))
        vici_msg_walk(c->pk.msg, VICI_DEPTH_MAX, show_sa_visit, &l);
}

int diag_run(struct ctl *c, const char *conn, int timeout_s)
{
    struct conn_info ci = { 0 };
    struct lines ls = { 0 };
    struct verdict v = { 0 };
    char ms[16], ok[8] = "", err[512] = "";
    if (conn_lookup(c, conn, &ci))
        return 1;
    c->reported = true; /* the paragraph says it */
    snprintf(ms, sizeof ms, "%d", timeout_s * 1000);
    const char *kv[] = { "ike", ci.found ? conn : NULL, "child", ci.found ? ci.child : conn, "timeout", ms,
                         "loglevel", "2", NULL };
    if (ctl_register(c, "control-log") || ctl_send(c, VICI_CMD_REQUEST, "initiate", kv))
        return 1;
    bool answered = collect(c, &ls, (timeout_s + 5) * 1000);
    if (answered) {
        vici_msg_get_str(c->pk.msg, "success", ok, sizeof ok);
        vici_msg_get_str(c->pk.msg, "errmsg", err, sizeof err);
    }
    bool up = !strcmp(ok, "yes");
    bool timed_out = !answered || strstr(err, "timed out") || strstr(err, "timeout");
    if (!up && timed_out)
        stop_attempt(c, &ls, conn);
    if (up)
        print_up(c, conn, &v);
    else
        explain(&ls, &ci, conn, err, timeout_s, timed_out, &v);
    if (c->json)
        print_json(&ls, conn, &v, up);
    else if (!up)
        printf("%s\n", v.text);
    for (size_t i = 0; i < ls.n; i++)
        free(ls.v[i]);
    free(ls.v);
    return !up;
}
