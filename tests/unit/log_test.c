/* base/log and io/syslog: per-subsystem levels, JSON lines, syslog datagrams */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "testutil.h"
#include "base/log.h"
#include "io/syslog.h"

static void test_levels_parse(void **st)
{
    (void)st;
    int lv[LOG_SUBSYS_COUNT];
    char err[160];
    for (int i = 0; i < LOG_SUBSYS_COUNT; i++)
        lv[i] = 1;
    assert_int_equal(log_levels_parse("2", lv, err, sizeof err), 0);
    for (int i = 0; i < LOG_SUBSYS_COUNT; i++)
        assert_int_equal(lv[i], 2);
    assert_int_equal(log_levels_parse("0,ike=2,ESP=-1,knl=4", lv, err, sizeof err), 0);
    assert_int_equal(lv[LOG_DMN], 0);
    assert_int_equal(lv[LOG_CFG], 0);
    assert_int_equal(lv[LOG_IKE], 2);
    assert_int_equal(lv[LOG_ESP], -1);
    assert_int_equal(lv[LOG_KNL], 4);
    /* later items win; any= is every subsystem */
    assert_int_equal(log_levels_parse("ike=3,any=1,net=2", lv, err, sizeof err), 0);
    assert_int_equal(lv[LOG_IKE], 1);
    assert_int_equal(lv[LOG_NET], 2);
    /* refusals leave the levels as they were */
    int before[LOG_SUBSYS_COUNT];
    memcpy(before, lv, sizeof lv);
    static const char *const bad[] = { "", "5", "-2", "ike=", "=2", "foo=1", "ike=2,", ",1", "1,,2", "ike=x", "1 ",
                                       "ike=2,esp=9" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(log_levels_parse(bad[i], lv, err, sizeof err), -1);
        assert_true(err[0] != 0);
        assert_memory_equal(lv, before, sizeof lv);
    }
    char longs[400];
    memset(longs, '1', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    assert_int_equal(log_levels_parse(longs, lv, err, sizeof err), -1);
}

static void test_json_escaping(void **st)
{
    (void)st;
    char buf[512];
    log_json_format(buf, sizeof buf, "2026-12-05T10:00:00Z", 1, "IKE", "peer 'a\"b\\c'\nforged\x01\x7f end");
    assert_string_equal(buf, "{\"time\":\"2026-12-05T10:00:00Z\",\"level\":1,\"subsys\":\"IKE\","
                             "\"msg\":\"peer 'a\\\"b\\\\c'\\u000aforged\\u0001\\u007f end\"}");
    /* cut short, still one closed object */
    char small[80];
    log_json_format(small, sizeof small, "2026-12-05T10:00:00Z", 0, "DMN",
                    "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
    size_t n = strlen(small);
    assert_true(n < sizeof small);
    assert_string_equal(small + n - 2, "\"}");
    assert_int_not_equal(small[n - 3], '\\'); /* no escape cut in half */
}

/* lines reach a sink as text or JSON; per-subsystem levels filter them */
static void test_sink_filters_and_formats(void **st)
{
    (void)st;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct log_sink s;
    log_sink_init(&s, f, 1);
    s.level[LOG_ESP] = 0;
    s.format = LOG_FMT_JSON;
    log_msg(&s, LOG_IKE, 1, "shown %d", 1);
    log_msg(&s, LOG_ESP, 1, "hidden");
    log_msg(&s, LOG_ESP, 0, "shown \"2\"");
    fclose(f);
    assert_non_null(strstr(text, "\"subsys\":\"IKE\",\"msg\":\"shown 1\"}\n"));
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, "\"level\":0,\"subsys\":\"ESP\",\"msg\":\"shown \\\"2\\\"\"}\n"));
    free(text);
}

/* a batching sink's lines reach the file at once while flushes are rare,
 * and at most every every_ms once LOG_FLUSH_BURST came in a row */
static long file_size(FILE *f)
{
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    return (long)st.st_size;
}

static void test_flush_due_paces_writes(void **st)
{
    (void)st;
    FILE *f = tmpfile();
    assert_non_null(f);
    struct log_sink s;
    log_sink_init(&s, f, 1);
    s.batch = true;
    assert_true(log_flush_due(&s, 1000, 50) == ~0ULL); /* nothing held */
    log_msg(&s, LOG_IKE, 1, "first");
    assert_int_equal(file_size(f), 0); /* held in stdio's buffer */
    long last = 0;
    for (int i = 0; i < LOG_FLUSH_BURST; i++) { /* a burst: each written at once */
        if (i)
            log_msg(&s, LOG_IKE, 1, "burst %d", i);
        assert_true(log_flush_due(&s, 1000, 50) == ~0ULL);
        assert_true(file_size(f) > last);
        last = file_size(f);
    }
    log_msg(&s, LOG_IKE, 1, "paced");
    assert_true(log_flush_due(&s, 1000, 50) == 1050); /* the bucket is empty: one more at 1050 */
    assert_true(log_flush_due(&s, 1049, 50) == 1050);
    assert_int_equal(file_size(f), last);
    assert_true(log_flush_due(&s, 1050, 50) == ~0ULL);
    assert_true(file_size(f) > last);
    last = file_size(f);
    log_msg(&s, LOG_IKE, 1, "next");
    assert_true(log_flush_due(&s, 1051, 50) == 1100);
    assert_true(log_flush_due(&s, 1052, 0) == ~0ULL); /* 0: at every call */
    assert_true(file_size(f) > last);
    last = file_size(f);
    log_msg(&s, LOG_IKE, 1, "quiet");
    /* after a quiet spell the bucket is full again: a burst at once */
    unsigned long long quiet = 1100 + LOG_FLUSH_BURST * 50ULL;
    for (int i = 0; i < LOG_FLUSH_BURST; i++) {
        log_msg(&s, LOG_IKE, 1, "again %d", i);
        assert_true(log_flush_due(&s, quiet, 50) == ~0ULL);
        assert_true(file_size(f) > last);
        last = file_size(f);
    }
    log_msg(&s, LOG_IKE, 1, "held");
    log_flush(&s); /* log_flush writes regardless, and nothing is held after */
    assert_true(file_size(f) > last);
    assert_true(log_flush_due(&s, quiet, 50) == ~0ULL);
    fclose(f);
}

static void test_syslog_datagrams(void **st)
{
    (void)st;
    char buf[256];
    size_t n = syslog_out_format(buf, sizeof buf, "kited[42]", 0, "DMN", "starting", 0);
    assert_int_equal(n, strlen(buf));
    assert_memory_equal(buf, "<29>", 4); /* daemon.notice */
    assert_non_null(strstr(buf, " kited[42]: 00[DMN] starting"));
    syslog_out_format(buf, sizeof buf, "kited[42]", 1, "IKE", "x", 0);
    assert_memory_equal(buf, "<30>", 4); /* daemon.info */
    syslog_out_format(buf, sizeof buf, "kited[42]", 3, "ENC", "x", 0);
    assert_memory_equal(buf, "<31>", 4); /* daemon.debug */

    /* through a real socket, as a sink's hook */
    char dir[] = "/tmp/kite-syslog-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/log", dir);
    int rfd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, path);
    assert_int_equal(bind(rfd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct syslog_out so;
    assert_int_equal(syslog_out_open(&so, path, "kited"), 0);
    struct log_sink s;
    log_sink_init(&s, NULL, 1);
    s.sys = syslog_out_line;
    s.sys_ctx = &so;
    log_msg(&s, LOG_CFG, 1, "loaded connection '%s'", "lab");
    log_msg(&s, LOG_CFG, 2, "not at level 2");
    ssize_t r = recv(rfd, buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(r > 0);
    buf[r] = 0;
    assert_memory_equal(buf, "<30>", 4);
    assert_non_null(strstr(buf, "]: 01[CFG] loaded connection 'lab'"));
    assert_true(recv(rfd, buf, sizeof buf, MSG_DONTWAIT) < 0); /* the level-2 line was not sent */
    /* nobody listening: the line is dropped and counted, never a wait */
    close(rfd);
    unlink(path);
    log_msg(&s, LOG_CFG, 0, "lost");
    assert_int_equal(so.dropped, 1);
    syslog_out_close(&so);
    rmdir(dir);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    assert_int_equal(syslog_out_open(&so, longp, "kited"), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_parse),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_sink_filters_and_formats),
        cmocka_unit_test(test_syslog_datagrams),
        cmocka_unit_test(test_flush_due_paces_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
