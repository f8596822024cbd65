/* kitectl_show: what kitectl prints.  JSON for scripts (sections are
 * objects, lists arrays, values strings); for a person one line per SA and
 * indented key = value lines, with colour only when stdout is a terminal
 * and neither NO_COLOR (https://no-color.org) nor --no-color says no. */
#include <stdio.h>
#include <string.h>
#include "kitectl.h"

/* ---- JSON ---- */

void show_json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = (uint8_t)s[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void span_str(struct span s)
{
    show_json_str((const char *)s.p, s.n);
}

static int json_visit(void *ctx, const struct vici_elem *e)
{
    bool *first = ctx; /* nothing yet printed at this level */
    if (e->type != VICI_SECTION_END && e->type != VICI_LIST_END && !*first)
        putchar(',');
    *first = false;
    switch (e->type) {
    case VICI_SECTION_START: span_str(e->name); fputs(":{", stdout); *first = true; break;
    case VICI_SECTION_END: putchar('}'); break;
    case VICI_KEY_VALUE: span_str(e->name); putchar(':'); span_str(e->value); break;
    case VICI_LIST_START: span_str(e->name); fputs(":[", stdout); *first = true; break;
    case VICI_LIST_ITEM: span_str(e->value); break;
    case VICI_LIST_END: putchar(']'); break;
    }
    return 0;
}

void show_json_msg(struct span msg)
{
    bool first = true;
    putchar('{');
    vici_msg_walk(msg, VICI_DEPTH_MAX, json_visit, &first);
    putchar('}');
}

void show(struct ctl *c, vici_visit_fn *human, void *ctx)
{
    if (c->json) {
        fputs(c->n_out++ ? ",\n" : "", stdout);
        show_json_msg(c->pk.msg);
    } else {
        vici_msg_walk(c->pk.msg, VICI_DEPTH_MAX, human, ctx);
    }
}

/* ---- colour ---- */

void show_tone(const struct ctl *c, enum ctl_tone t, const char *text)
{
    static const char *const sgr[] = { "\033[32m", "\033[33m", "\033[31m", "" };
    if (c->colour && t != TONE_PLAIN)
        printf("%s%s\033[0m", sgr[t], text);
    else
        fputs(text, stdout);
}

enum ctl_tone show_state_tone(const char *state)
{
    if (!strcmp(state, "ESTABLISHED") || !strcmp(state, "INSTALLED"))
        return TONE_GOOD;
    if (!strcmp(state, "CONNECTING") || !strcmp(state, "REKEYING") || !strcmp(state, "REKEYED") ||
        !strcmp(state, "INSTALLING") || !strcmp(state, "CREATED") || !strcmp(state, "PASSIVE"))
        return TONE_BUSY;
    return TONE_BAD;
}

/* ---- a person's view of list-sa ---- */

enum { I_STATE, I_LHOST, I_RHOST, I_RID, I_ENCR, I_KEYSIZE, I_INTEG, I_PRF, I_DH, I_EST, I_REKEY };
static const char *const ike_keys[] = { "state", "local-host", "remote-host", "remote-id", "encr-alg", "encr-keysize",
                                        "integ-alg", "prf-alg", "dh-group", "established", "rekey-time", NULL };
enum { C_STATE, C_MODE, C_SPI_IN, C_SPI_OUT, C_BIN, C_PIN, C_BOUT, C_POUT, C_REKEY, C_ENCR, C_KEYSIZE, C_INTEG,
       C_INSTALL };
static const char *const ch_keys[] = { "state", "mode", "spi-in", "spi-out", "bytes-in", "packets-in", "bytes-out",
                                       "packets-out", "rekey-time", "encr-alg", "encr-keysize", "integ-alg",
                                       "install-time", NULL };

static void copy_val(char *dst, struct span v)
{
    size_t n = v.n < 63 ? v.n : 63;
    memcpy(dst, v.p, n);
    dst[n] = 0;
}

static const char *or_dash(const char *s)
{
    return s[0] ? s : "-";
}

/* AES_GCM_16-256, AES_CBC-128/HMAC_SHA2_256_128 */
static void algs(char *buf, size_t cap, const char *encr, const char *bits, const char *integ)
{
    snprintf(buf, cap, "%s%s%s%s%s", encr, bits[0] ? "-" : "", bits, integ[0] ? "/" : "", integ);
}

static void print_ike(struct sa_line *l)
{
    char a[256]; /* three values of up to 63 bytes and two separators */
    l->printed = true;
    algs(a, sizeof a, l->ike[I_ENCR], l->ike[I_KEYSIZE], l->ike[I_INTEG]);
    printf("%s: ", l->name);
    show_tone(l->c, show_state_tone(l->ike[I_STATE]), l->ike[I_STATE]);
    printf(", %s ... %s (%s), %s/%s/%s, up %ss, rekey in %ss\n", l->ike[I_LHOST], l->ike[I_RHOST], l->ike[I_RID],
           a, l->ike[I_PRF], l->ike[I_DH], or_dash(l->ike[I_EST]), or_dash(l->ike[I_REKEY]));
}

static void print_child(const struct sa_line *l)
{
    char a[256]; /* three values of up to 63 bytes and two separators */
    algs(a, sizeof a, l->ch[C_ENCR], l->ch[C_KEYSIZE], l->ch[C_INTEG]);
    printf("  %s: ", l->child);
    show_tone(l->c, show_state_tone(l->ch[C_STATE]), l->ch[C_STATE]);
    printf(" %s, SPIs %s in / %s out, %s, in %s bytes %s packets, out %s bytes %s packets, up %ss, rekey in %ss\n",
           l->ch[C_MODE], l->ch[C_SPI_IN], l->ch[C_SPI_OUT], or_dash(a), l->ch[C_BIN], l->ch[C_PIN], l->ch[C_BOUT],
           l->ch[C_POUT], or_dash(l->ch[C_INSTALL]), or_dash(l->ch[C_REKEY]));
}

static void keep(char (*vals)[64], const char *const *keys, const struct vici_elem *e)
{
    for (size_t i = 0; keys[i]; i++)
        if (ctl_name_is(e, keys[i]))
            copy_val(vals[i], e->value);
}

int show_sa_visit(void *ctx, const struct vici_elem *e)
{
    struct sa_line *l = ctx;
    if (e->type == VICI_SECTION_START && e->depth == 0) {
        struct ctl *c = l->c;
        memset(l, 0, sizeof *l);
        l->c = c;
        copy_val(l->name, e->name);
    }
    if (e->type == VICI_SECTION_START && e->depth == 2) {
        copy_val(l->child, e->name);
        memset(l->ch, 0, sizeof l->ch);
    }
    if (e->type == VICI_SECTION_START && e->depth == 1) /* child-sas: the IKE SA's line is complete */
        print_ike(l);
    if (e->type == VICI_SECTION_END && e->depth == 2)
        print_child(l);
    if (e->type == VICI_SECTION_END && e->depth == 0 && l->name[0] && !l->printed)
        print_ike(l); /* an IKE SA without child-sas section */
    if (e->type == VICI_KEY_VALUE && e->depth == 1)
        keep(l->ike, ike_keys, e);
    if (e->type == VICI_KEY_VALUE && e->depth == 3)
        keep(l->ch, ch_keys, e);
    return 0;
}

int show_text_visit(void *ctx, const struct vici_elem *e)
{
    (void)ctx;
    unsigned d = e->type == VICI_SECTION_END ? e->depth + 1 : e->depth;
    switch (e->type) {
    case VICI_SECTION_START: printf("%*s%.*s:\n", (int)d * 2, "", (int)e->name.n, (const char *)e->name.p); break;
    case VICI_KEY_VALUE:
        printf("%*s%.*s = %.*s\n", (int)d * 2, "", (int)e->name.n, (const char *)e->name.p, (int)e->value.n,
               (const char *)e->value.p);
        break;
    case VICI_LIST_START: printf("%*s%.*s =", (int)d * 2, "", (int)e->name.n, (const char *)e->name.p); break;
    case VICI_LIST_ITEM: printf(" %.*s", (int)e->value.n, (const char *)e->value.p); break;
    case VICI_LIST_END: putchar('\n'); break;
    default: break;
    }
    return 0;
}
