/* kitectl: kite's command line, speaking VICI (so it works against charon
 * too).  One line per SA for a person, --json for scripts.  docs/control.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "ctl/vici.h"
#include "ctl/vici_msg.h"
#include "io/unix.h"

struct ctl {
    int fd;
    bool json;
    int n_out;              /* JSON: events printed so far */
    uint8_t *in;            /* the last packet read */
    struct vici_packet pk;
};

/* ---- the connection ---- */

static int send_packet(struct ctl *c, uint8_t op, const char *name, const char *const *kv)
{
    struct vici_bld b;
    struct span out;
    vici_bld_init(&b, 0);
    vici_bld_packet(&b, op, name);
    for (; kv && kv[0]; kv += 2)
        if (kv[1])
            vici_bld_kv_str(&b, kv[0], kv[1]);
    int rc = vici_bld_finish(&b, &out);
    if (!rc && write(c->fd, out.p, out.n) != (ssize_t)out.n)
        rc = -errno;
    vici_bld_free(&b);
    return rc;
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* the next packet, decoded and checked; false when the daemon went away or
 * sent something malformed */
static bool recv_packet(struct ctl *c)
{
    uint8_t h[4];
    free(c->in);
    c->in = NULL;
    if (!read_all(c->fd, h, 4))
        return false;
    uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (n > VICI_MSG_MAX || !(c->in = malloc(n ? n : 1)) || !read_all(c->fd, c->in, n))
        return false;
    return vici_packet_decode(span_of(c->in, n), &c->pk) == 0 &&
           vici_msg_walk(c->pk.msg, VICI_DEPTH_MAX, NULL, NULL) == 0;
}

static bool is_event(const struct ctl *c, const char *name)
{
    return c->pk.op == VICI_EVENT && c->pk.name.n == strlen(name) && !memcmp(c->pk.name.p, name, c->pk.name.n);
}

static int do_register(struct ctl *c, const char *event)
{
    if (send_packet(c, VICI_EVENT_REGISTER, event, NULL) || !recv_packet(c))
        return -1;
    return c->pk.op == VICI_EVENT_CONFIRM ? 0 : -1;
}

/* ---- JSON: sections are objects, lists arrays, values strings ---- */

static void json_str(struct span s)
{
    putchar('"');
    for (size_t i = 0; i < s.n; i++) {
        uint8_t ch = s.p[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static int json_visit(void *ctx, const struct vici_elem *e)
{
    bool *first = ctx; /* nothing yet printed at this level */
    if (e->type != VICI_SECTION_END && e->type != VICI_LIST_END && !*first)
        putchar(',');
    *first = false;
    switch (e->type) {
    case VICI_SECTION_START: json_str(e->name); fputs(":{", stdout); *first = true; break;
    case VICI_SECTION_END: putchar('}'); break;
    case VICI_KEY_VALUE: json_str(e->name); putchar(':'); json_str(e->value); break;
    case VICI_LIST_START: json_str(e->name); fputs(":[", stdout); *first = true; break;
    case VICI_LIST_ITEM: json_str(e->value); break;
    case VICI_LIST_END: putchar(']'); break;
    }
    return 0;
}

static void json_msg(struct span msg)
{
    bool first = true;
    putchar('{');
    vici_msg_walk(msg, VICI_DEPTH_MAX, json_visit, &first);
    putchar('}');
}

/* ---- a person's view of list-sa: one line per IKE SA and per Child SA ---- */

struct sa_line {
    char ike[8][64];  /* values of the IKE SA's keys we print, by index of ike_keys */
    char ch[9][64];   /* the Child SA's */
    char name[64], child[64];
    unsigned depth;
};

static const char *const ike_keys[] = { "state", "local-host", "remote-host", "remote-id", "encr-alg",
                                        "prf-alg", "dh-group", "established" };
static const char *const ch_keys[] = { "state", "mode", "spi-in", "spi-out", "bytes-in", "packets-in", "bytes-out",
                                       "packets-out", "rekey-time" };

static void copy_val(char *dst, struct span v)
{
    size_t n = v.n < 63 ? v.n : 63;
    memcpy(dst, v.p, n);
    dst[n] = 0;
}

static void print_child(const struct sa_line *l)
{
    printf("  %s: %s %s, SPIs %s in / %s out, in %s bytes %s packets, out %s bytes %s packets, rekey in %ss\n",
           l->child, l->ch[0], l->ch[1], l->ch[2], l->ch[3], l->ch[4], l->ch[5], l->ch[6], l->ch[7],
           l->ch[8][0] ? l->ch[8] : "-");
}

static int sa_visit(void *ctx, const struct vici_elem *e)
{
    struct sa_line *l = ctx;
    if (e->type == VICI_SECTION_START && e->depth == 0) {
        memset(l, 0, sizeof *l);
        copy_val(l->name, e->name);
    }
    if (e->type == VICI_SECTION_START && e->depth == 2) {
        copy_val(l->child, e->name);
        memset(l->ch, 0, sizeof l->ch);
    }
    if (e->type == VICI_SECTION_START && e->depth == 1) /* child-sas: the IKE SA's line is complete */
        printf("%s: %s, %s ... %s (%s), %s/%s/%s, up %ss\n", l->name, l->ike[0], l->ike[1], l->ike[2], l->ike[3],
               l->ike[4], l->ike[5], l->ike[6], l->ike[7][0] ? l->ike[7] : "-");
    if (e->type == VICI_SECTION_END && e->depth == 2)
        print_child(l);
    if (e->type != VICI_KEY_VALUE)
        return 0;
    for (size_t i = 0; e->depth == 1 && i < sizeof ike_keys / sizeof ike_keys[0]; i++)
        if (e->name.n == strlen(ike_keys[i]) && !memcmp(e->name.p, ike_keys[i], e->name.n))
            copy_val(l->ike[i], e->value);
    for (size_t i = 0; e->depth == 3 && i < sizeof ch_keys / sizeof ch_keys[0]; i++)
        if (e->name.n == strlen(ch_keys[i]) && !memcmp(e->name.p, ch_keys[i], e->name.n))
            copy_val(l->ch[i], e->value);
    return 0;
}

/* key = value lines, sections indented (list-conns, stats) */
static int text_visit(void *ctx, const struct vici_elem *e)
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

static void show(struct ctl *c, vici_visit_fn *human, void *ctx)
{
    if (c->json) {
        fputs(c->n_out++ ? ",\n" : "", stdout);
        json_msg(c->pk.msg);
    } else {
        vici_msg_walk(c->pk.msg, VICI_DEPTH_MAX, human, ctx);
    }
}

/* ---- commands ---- */

/* a command answered by `event` events, then a response */
static int streamed(struct ctl *c, const char *cmd, const char *event, vici_visit_fn *human, const char *const *kv)
{
    struct sa_line l = { 0 };
    if (do_register(c, event) || send_packet(c, VICI_CMD_REQUEST, cmd, kv))
        return 1;
    if (c->json)
        fputs("[", stdout);
    while (recv_packet(c) && is_event(c, event))
        show(c, human, &l);
    if (c->json)
        fputs("]\n", stdout);
    return c->pk.op == VICI_CMD_RESPONSE ? 0 : 1;
}

static int simple(struct ctl *c, const char *cmd)
{
    if (send_packet(c, VICI_CMD_REQUEST, cmd, NULL) || !recv_packet(c) || c->pk.op != VICI_CMD_RESPONSE)
        return 1;
    show(c, text_visit, NULL);
    if (c->json)
        putchar('\n');
    return 0;
}

/* initiate, terminate, rekey: control-log lines as they come, then the verdict */
static int control(struct ctl *c, const char *cmd, const char *const *kv)
{
    char ok[8] = "", err[256] = "";
    if (do_register(c, "control-log") || send_packet(c, VICI_CMD_REQUEST, cmd, kv))
        return 1;
    while (recv_packet(c) && is_event(c, "control-log")) {
        char msg[1024];
        if (!c->json && vici_msg_get_str(c->pk.msg, "msg", msg, sizeof msg))
            printf("%s\n", msg);
    }
    if (c->pk.op != VICI_CMD_RESPONSE)
        return 1;
    vici_msg_get_str(c->pk.msg, "success", ok, sizeof ok);
    vici_msg_get_str(c->pk.msg, "errmsg", err, sizeof err);
    if (c->json) {
        json_msg(c->pk.msg);
        putchar('\n');
    } else {
        printf("%s %s%s%s\n", cmd, strcmp(ok, "yes") ? "failed" : "completed", err[0] ? ": " : "", err);
    }
    return strcmp(ok, "yes") != 0;
}

static int follow_log(struct ctl *c)
{
    if (do_register(c, "log"))
        return 1;
    while (recv_packet(c) && is_event(c, "log")) {
        char group[16] = "", level[8] = "", msg[2048] = "";
        if (c->json) {
            json_msg(c->pk.msg);
            putchar('\n');
        } else if (vici_msg_get_str(c->pk.msg, "group", group, sizeof group) &&
                   vici_msg_get_str(c->pk.msg, "level", level, sizeof level) &&
                   vici_msg_get_str(c->pk.msg, "msg", msg, sizeof msg)) {
            printf("%s[%s] %s\n", level, group, msg);
        }
        fflush(stdout);
    }
    return 1;
}

static int usage(FILE *f)
{
    fputs("usage: kitectl [--uri URI] [--json] COMMAND [ARG]\n"
          "  status | list-sas     the SAs, one line each\n"
          "  list-conns            the loaded connections\n"
          "  stats                 daemon statistics\n"
          "  initiate CHILD        bring up a Child SA (and its IKE SA)\n"
          "  terminate IKE         delete the IKE SAs of connection IKE\n"
          "  rekey CHILD           rekey the Child SAs named CHILD\n"
          "  log                   follow the daemon's log\n"
          "  --uri URI             default unix:///var/run/charon.vici\n"
          "  --json                JSON output, for scripts\n"
          "  --timeout S           initiate/terminate: give up after S seconds\n", f);
    return f == stderr ? 2 : 0;
}

static int run(struct ctl *c, const char *cmd, const char *arg, const char *timeout)
{
    if (!strcmp(cmd, "status") || !strcmp(cmd, "list-sas"))
        return streamed(c, "list-sas", "list-sa", sa_visit, NULL);
    if (!strcmp(cmd, "list-conns"))
        return streamed(c, "list-conns", "list-conn", text_visit, NULL);
    if (!strcmp(cmd, "stats"))
        return simple(c, "stats");
    if (!strcmp(cmd, "log"))
        return follow_log(c);
    if (!arg)
        return usage(stderr);
    const char *kv_child[] = { "child", arg, "timeout", timeout, NULL };
    const char *kv_ike[] = { "ike", arg, "timeout", timeout, NULL };
    if (!strcmp(cmd, "initiate"))
        return control(c, "initiate", kv_child);
    if (!strcmp(cmd, "terminate"))
        return control(c, "terminate", kv_ike);
    if (!strcmp(cmd, "rekey"))
        return control(c, "rekey", kv_child);
    return usage(stderr);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "uri", required_argument, 0, 'u' }, { "json", no_argument, 0, 'j' },
        { "timeout", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *uri = "unix:///var/run/charon.vici";
    char path[256], timeout[24] = "";
    struct ctl c = { .fd = -1 };
    int o;
    while ((o = getopt_long(argc, argv, "u:jt:h", opts, NULL)) != -1) {
        switch (o) {
        case 'u': uri = optarg; break;
        case 'j': c.json = true; break;
        case 't': snprintf(timeout, sizeof timeout, "%ld", strtol(optarg, NULL, 10) * 1000); break;
        case 'h': return usage(stdout);
        default: return usage(stderr);
        }
    }
    if (optind >= argc)
        return usage(stderr);
    if (vici_uri_path(uri, path, sizeof path)) {
        fprintf(stderr, "kitectl: --uri %s: only unix:///absolute/path\n", uri);
        return 2;
    }
    c.fd = unix_dial(path);
    if (c.fd < 0) {
        fprintf(stderr, "kitectl: cannot connect to %s: %s\n", path, strerror(-c.fd));
        return 1;
    }
    int rc = run(&c, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, timeout[0] ? timeout : NULL);
    if (rc == 1 && !c.in)
        fprintf(stderr, "kitectl: %s: no answer from the daemon\n", argv[optind]);
    free(c.in);
    close(c.fd);
    return rc;
}
