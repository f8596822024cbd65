/* conf_keys: every row of the key table does what it says, with its
 * message (refused: an error naming file:line and why; ignored: a warning
 * naming the connection; accepted: nothing), unknown keys are refused, and
 * docs/configuration.md carries the table as it is */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/conf_keys.h"

static char warnings[8192];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

/* a valid file with one line added in the row's place (marked by @) */
static void file_with(const struct conf_key *k, const char *line, char *out, size_t cap)
{
    const char *conn = "", *loc = "", *rem = "", *ch = "", *sec = "", *top = "";
    if (!strcmp(k->scope, "conn"))
        conn = line;
    else if (!strcmp(k->scope, "auth") || !strcmp(k->scope, "local"))
        loc = line;
    else if (!strcmp(k->scope, "remote"))
        rem = line;
    else if (!strcmp(k->scope, "child"))
        ch = line;
    else if (!strcmp(k->scope, "secrets"))
        sec = line;
    else
        top = line;
    snprintf(out, cap, "connections {\n lab {\n  remote_addrs = 192.0.2.2\n%s  local {\n   auth = psk\n%s  }\n"
             "  remote {\n   auth = psk\n%s  }\n  children {\n   net {\n    local_ts = 10.1.0.0/16\n"
             "    remote_ts = 10.2.0.0/16\n%s   }\n  }\n }\n}\nsecrets {\n ike {\n  secret = abcdefgh\n }\n%s}\n%s",
             conn, loc, rem, ch, sec, top);
}

static int line_of(const char *text, const char *what)
{
    const char *at = strstr(text, what);
    int n = 1;
    assert_non_null(at);
    for (const char *p = text; p < at; p++)
        n += *p == '\n';
    return n;
}

static void one_row(const struct conf_key *k)
{
    char name[64], value[64], line[160], text[2048], err[768], want[768];
    snprintf(name, sizeof name, "%.*s%s", (int)strcspn(k->name, "*"), k->name, strchr(k->name, '*') ? "-x" : "");
    snprintf(value, sizeof value, "%.*s", k->values ? (int)strcspn(k->values, "|") : 2, k->values ? k->values : "42");
    if (k->section && !strcmp(k->scope, "top"))
        snprintf(line, sizeof line, "%s {\n p {\n  addrs = 10.3.0.0/24\n }\n}\n", name);
    else if (k->section)
        snprintf(line, sizeof line, "   %s {\n    file = a.pem\n   }\n", name);
    else
        snprintf(line, sizeof line, "   %s = %s\n", name, value);
    file_with(k, line, text, sizeof text);
    struct kite_conf *c = NULL;
    warnings[0] = 0;
    int rc = conf_load_string(text, "swanctl.conf", &c, err, sizeof err, on_warn, NULL);
    char key[200];
    snprintf(key, sizeof key, "%s%s", k->section && strcmp(k->scope, "top") ? "   " : "", name);
    int at = line_of(text, key);
    if (k->section)
        snprintf(want, sizeof want, "swanctl.conf:%d: %s: section '%s' %s: %s", at, "%s", name,
                 k->use == CONF_KEY_REFUSE ? "refused" : "ignored", k->why);
    else
        snprintf(want, sizeof want, "swanctl.conf:%d: %s: %s = %s %s: %s", at, "%s", name, value,
                 k->use == CONF_KEY_REFUSE ? "refused" : "ignored", k->why);
    /* the "where" part differs per scope: compare around it */
    char *where = strstr(want, "%s");
    *where = 0;
    const char *got = k->use == CONF_KEY_REFUSE ? err : warnings;
    if (k->use == CONF_KEY_REFUSE && rc == 0)
        fail_msg("%s %s = %s: loaded, expected refused", k->scope, name, value);
    if (k->use != CONF_KEY_REFUSE && rc)
        fail_msg("%s %s = %s: refused: %s", k->scope, name, value, err);
    if (k->use == CONF_KEY_ACCEPT && warnings[0])
        fail_msg("%s %s = %s: accepted, yet warned: %s", k->scope, name, value, warnings);
    if (k->use != CONF_KEY_ACCEPT) {
        if (strncmp(got, want, strlen(want)) || !strstr(got, where + 2))
            fail_msg("%s %s = %s:\n got  %s\n want %s...%s", k->scope, name, value, got, want, where + 2);
        if (!strcmp(k->scope, "conn") || !strcmp(k->scope, "child") || !strcmp(k->scope, "auth"))
            assert_non_null(strstr(got, "connection 'lab'"));
    }
    conf_free(c);
}

/* each row that refuses, warns or accepts, with a value it applies to */
static void every_row(void **s)
{
    (void)s;
    int n = 0;
    for (size_t i = 0; i < conf_keys_n; i++) {
        const struct conf_key *k = &conf_keys[i];
        if (k->use == CONF_KEY_IMPL || !strcmp(k->scope, "keysecret") || !strcmp(k->scope, "secret"))
            continue;
        one_row(k);
        n++;
    }
    assert_true(n > 80);
}

static void unknown_keys(void **s)
{
    (void)s;
    const struct conf_key scopes[] = {
        { "conn", "colour", false, NULL, 0, "" }, { "child", "speed", false, NULL, 0, "" },
        { "local", "cert_file", false, NULL, 0, "" }, { "remote", "eap", false, NULL, 0, "" },
        { "child", "esp_proposal", false, NULL, 0, "" }, { "conn", "child", true, NULL, 0, "" },
    };
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        char line[128], text[2048], err[768];
        if (scopes[i].section)
            snprintf(line, sizeof line, "  %s {\n  }\n", scopes[i].name);
        else
            snprintf(line, sizeof line, "   %s = blue\n", scopes[i].name);
        file_with(&scopes[i], line, text, sizeof text);
        struct kite_conf *c = NULL;
        assert_int_equal(conf_load_string(text, "swanctl.conf", &c, err, sizeof err, on_warn, NULL), -1);
        char want[256];
        snprintf(want, sizeof want, "unknown %s '%s' refused: swanctl.conf has no such %s here, and kite does not "
                 "guess what it would mean", scopes[i].section ? "section" : "key", scopes[i].name,
                 scopes[i].section ? "section" : "key");
        if (!strstr(err, want))
            fail_msg("%s: %s", scopes[i].name, err);
        assert_null(strstr(err, "blue")); /* an unknown key's value may be a secret: never repeated */
    }
    /* at the top level swanctl reads four sections: others are templates or
     * nothing, warned about */
    char text[2048], err[512];
    const struct conf_key top = { "top", "", false, NULL, 0, "" };
    file_with(&top, "colours {\n a = b\n}\n", text, sizeof text);
    struct kite_conf *c = NULL;
    warnings[0] = 0;
    assert_int_equal(conf_load_string(text, "swanctl.conf", &c, err, sizeof err, on_warn, NULL), 0);
    assert_non_null(strstr(warnings, "the top level: section 'colours' ignored"));
    conf_free(c);
}

/* docs/configuration.md has the table as conf_keys_markdown prints it */
static void docs_match_the_table(void **s)
{
    (void)s;
    size_t n;
    char *doc = read_source_file("docs/configuration.md", &n), *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_keys_markdown(f);
    fclose(f);
    const char *begin = strstr(doc, "<!-- conf_keys begin -->\n"), *end = strstr(doc, "<!-- conf_keys end -->");
    assert_non_null(begin);
    assert_non_null(end);
    begin += strlen("<!-- conf_keys begin -->\n");
    if ((size_t)(end - begin) != len || memcmp(begin, buf, len)) {
        FILE *o = fopen("conf_keys.md", "w");
        if (o) {
            fputs(buf, o);
            fclose(o);
        }
        fail_msg("docs/configuration.md's key table differs from conf_keys.c: the table is in conf_keys.md here "
                 "(the build directory); put it between the markers");
    }
    free(buf);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_row),
        cmocka_unit_test(unknown_keys),
        cmocka_unit_test(docs_match_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
