/* kitectl: kite's command line, speaking VICI (so it works against charon
 * too).  One line per SA for a person, --json for scripts.  The options and
 * the commands; kitectl.h lists the other files.  docs/control.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl/vici.h"
#include "io/unix.h"
#include "kitectl.h"

/* a command answered by `event` events, then a response */
static int streamed(struct ctl *c, const char *cmd, const char *event, vici_visit_fn *human, const char *const *kv)
{
    struct sa_line l = { .c = c };
    if (ctl_register(c, event) || ctl_send(c, VICI_CMD_REQUEST, cmd, kv))
        return 1;
    if (c->json)
        fputs("[", stdout);
    while (ctl_recv(c, 0) && ctl_is_event(c, event))
        show(c, human, &l);
    if (c->json)
        fputs("]\n", stdout);
    return c->pk.op == VICI_CMD_RESPONSE ? 0 : 1;
}

static int simple(struct ctl *c, const char *cmd)
{
    if (ctl_send(c, VICI_CMD_REQUEST, cmd, NULL) || !ctl_recv(c, 0) || c->pk.op != VICI_CMD_RESPONSE)
        return 1;
    show(c, show_text_visit, NULL);
    if (c->json)
        putchar('\n');
    return 0;
}

/* initiate, terminate, rekey: control-log lines as they come, then the
 * verdict; with --json one object: {"log": [lines], "result": {response}} */
static int control(struct ctl *c, const char *cmd, const char *const *kv)
{
    char ok[8] = "", err[256] = "";
    if (ctl_register(c, "control-log") || ctl_send(c, VICI_CMD_REQUEST, cmd, kv))
        return 1;
    if (c->json)
        fputs("{\"log\":[", stdout);
    for (int n = 0; ctl_recv(c, 0) && ctl_is_event(c, "control-log"); n++) {
        char msg[1024];
        if (!vici_msg_get_str(c->pk.msg, "msg", msg, sizeof msg))
            continue;
        if (c->json) {
            fputs(n ? "," : "", stdout);
            show_json_str(msg, strlen(msg));
        } else {
            printf("%s\n", msg);
        }
    }
    if (c->pk.op != VICI_CMD_RESPONSE)
        return 1;
    vici_msg_get_str(c->pk.msg, "success", ok, sizeof ok);
    vici_msg_get_str(c->pk.msg, "errmsg", err, sizeof err);
    if (c->json) {
        fputs("],\"result\":", stdout);
        show_json_msg(c->pk.msg);
        fputs("}\n", stdout);
        return strcmp(ok, "yes") != 0;
    }
    printf("%s ", cmd);
    show_tone(c, strcmp(ok, "yes") ? TONE_BAD : TONE_GOOD, strcmp(ok, "yes") ? "failed" : "completed");
    printf("%s%s\n", err[0] ? ": " : "", err);
    return strcmp(ok, "yes") != 0;
}

static int follow_log(struct ctl *c)
{
    if (ctl_register(c, "log"))
        return 1;
    while (ctl_recv(c, 0) && ctl_is_event(c, "log")) {
        char group[16] = "", level[8] = "", msg[2048] = "";
        if (c->json) {
            show_json_msg(c->pk.msg);
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
    fputs("usage: kitectl [--uri URI] [--json] [--no-color] [--timeout S] COMMAND [ARG]\n"
          "  status | list-sas     the SAs, one line each\n"
          "  list-conns            the loaded connections\n"
          "  stats                 daemon statistics\n"
          "  initiate CHILD        bring up a Child SA (and its IKE SA)\n"
          "  terminate IKE         delete the IKE SAs of connection IKE\n"
          "  rekey CHILD           rekey the Child SAs named CHILD\n"
          "  log                   follow the daemon's log\n"
          "  load [--file F]       load a swanctl.conf's connections and secrets\n"
          "                        (default /etc/swanctl/swanctl.conf)\n"
          "  diagnose CONN         initiate CONN and explain why it fails\n"
          "  --uri URI             default unix:///var/run/charon.vici\n"
          "  --json                JSON output, for scripts\n"
          "  --no-color            no colour (also with NO_COLOR set, or when not a terminal)\n"
          "  --timeout S           initiate/terminate/rekey/diagnose: give up after S seconds\n", f);
    return f == stderr ? 2 : 0;
}

struct opts {
    const char *uri, *file;
    int timeout_s;
    bool no_colour;
};

static int run(struct ctl *c, const struct opts *o, const char *cmd, const char *arg)
{
    char ms[24] = "";
    if (o->timeout_s > 0)
        snprintf(ms, sizeof ms, "%d", o->timeout_s * 1000);
    const char *timeout = ms[0] ? ms : NULL;
    if (!strcmp(cmd, "status") || !strcmp(cmd, "list-sas"))
        return streamed(c, "list-sas", "list-sa", show_sa_visit, NULL);
    if (!strcmp(cmd, "list-conns"))
        return streamed(c, "list-conns", "list-conn", show_text_visit, NULL);
    if (!strcmp(cmd, "stats"))
        return simple(c, "stats");
    if (!strcmp(cmd, "log"))
        return follow_log(c);
    if (!strcmp(cmd, "load"))
        return load_run(c, o->file ? o->file : "/etc/swanctl/swanctl.conf");
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
    if (!strcmp(cmd, "diagnose"))
        return diag_run(c, arg, o->timeout_s > 0 ? o->timeout_s : 30);
    return usage(stderr);
}

static int parse(int argc, char **argv, struct opts *o, struct ctl *c)
{
    static const struct option opts[] = {
        { "uri", required_argument, 0, 'u' },      { "json", no_argument, 0, 'j' },
        { "timeout", required_argument, 0, 't' },  { "file", required_argument, 0, 'f' },
        { "no-color", no_argument, 0, 'n' },       { "no-colour", no_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 },
    };
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "u:jt:f:nh", opts, NULL)) != -1) {
        switch (ch) {
        case 'u': o->uri = optarg; break;
        case 'j': c->json = true; break;
        case 'f': o->file = optarg; break;
        case 'n': o->no_colour = true; break;
        case 't':
            o->timeout_s = (int)strtol(optarg, &end, 10);
            if (*end || o->timeout_s <= 0 || o->timeout_s > 86400) {
                fprintf(stderr, "kitectl: --timeout %s: seconds, 1..86400\n", optarg);
                return 2;
            }
            break;
        case 'h': return usage(stdout) - 1;
        default: return usage(stderr);
        }
    }
    return optind < argc ? 0 : usage(stderr);
}

int main(int argc, char **argv)
{
    struct opts o = { .uri = "unix:///var/run/charon.vici" };
    char path[256];
    struct ctl c = { .fd = -1 };
    int rc = parse(argc, argv, &o, &c);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *nc = getenv("NO_COLOR");
    c.colour = !c.json && !o.no_colour && !(nc && nc[0]) && isatty(STDOUT_FILENO);
    if (vici_uri_path(o.uri, path, sizeof path)) {
        fprintf(stderr, "kitectl: --uri %s: only unix:///absolute/path\n", o.uri);
        return 2;
    }
    c.fd = unix_dial(path);
    if (c.fd < 0) {
        fprintf(stderr, "kitectl: cannot connect to %s: %s\n", path, strerror(-c.fd));
        return 2; /* kitectl(8): 2 when the socket cannot be reached */
    }
    rc = run(&c, &o, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL);
    if (rc == 1 && !c.in && !c.reported)
        fprintf(stderr, "kitectl: %s: no answer from the daemon\n", argv[optind]);
    free(c.in);
    close(c.fd);
    return rc;
}
