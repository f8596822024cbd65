/* ctl/prom, ctl/metrics, io/httpd: the Prometheus text format and the page's
 * HTTP server.
 * - label values escape \, " and newline, HELP text \ and newline, so a
 *   connection named a"b\c<newline>d cannot break the page;
 * - the page has a HELP and a TYPE line before every family, per Child SA
 *   byte series with connection, child, spi and direction;
 * - the server answers GET /metrics 200, other paths 404, other methods
 *   405, garbage 400, an endless head 431; the oldest client makes room
 *   for a new one at max_clients; a client that stays silent is closed at
 *   its deadline. */
#include "testutil.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctl/metrics.h"
#include "ctl/prom.h"
#include "ike/ike.h"
#include "io/httpd.h"
#include "sa/uesp.h"

static void label_and_help_escaping(void **s)
{
    (void)s;
    struct prom p;
    prom_init(&p);
    prom_family(&p, "kite_x_total", "counter", "a \\ and a\nnewline");
    prom_sample(&p, "kite_x_total", (const char *const[]){ "connection", "a\"b\\c\nd", "child", "net", NULL }, 7);
    prom_sample(&p, "kite_x_total", NULL, 18446744073709551615ull);
    assert_int_equal(p.err, 0);
    assert_string_equal(p.buf, "# HELP kite_x_total a \\\\ and a\\nnewline\n"
                               "# TYPE kite_x_total counter\n"
                               "kite_x_total{connection=\"a\\\"b\\\\c\\nd\",child=\"net\"} 7\n"
                               "kite_x_total 18446744073709551615\n");
    prom_free(&p);
}

static void rnd(void *ctx, uint8_t *p, size_t n)
{
    (void)ctx;
    memset(p, 7, n);
}

/* every family is introduced by HELP then TYPE, and every sample belongs to
 * the family introduced last */
static void check_families(const char *page)
{
    char fam[128] = "";
    int families = 0;
    for (const char *l = page; *l; l = strchr(l, '\n') + 1) {
        char name[160];
        if (!strncmp(l, "# HELP ", 7)) {
            sscanf(l + 7, "%127s", fam);
            families++;
            const char *t = strchr(l, '\n') + 1;
            snprintf(name, sizeof name, "# TYPE %s ", fam);
            assert_memory_equal(t, name, strlen(name));
            l = t;
            continue;
        }
        sscanf(l, "%127[^{ ]", name);
        assert_string_equal(name, fam);
        assert_int_equal(strncmp(name, "kite_", 5), 0);
    }
    assert_true(families >= 15);
}

static void page(void **s)
{
    (void)s;
    struct ike_env env = { .random = rnd };
    struct ike_engine *e = ike_engine_new(&env);
    struct uesp u;
    struct ike_child_sa c;
    assert_non_null(e);
    assert_int_equal(uesp_init(&u), 0);
    memset(&c, 0, sizeof c);
    strcpy(c.conn, "we\"ird\\");
    strcpy(c.name, "net");
    c.spi_in = 0xc0000001;
    c.spi_out = 0xd0000001;
    c.encr = 20;
    c.encr_bits = 256;
    c.key_len = 36;
    c.local = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 1 }, .port = 500 };
    c.remote = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 2 }, .port = 500 };
    c.local_ts = (struct ike_ts_cfg){ .family = 4, .port_hi = 65535, .lo = { 10, 1 }, .hi = { 10, 1, 0, 255 } };
    c.remote_ts = (struct ike_ts_cfg){ .family = 4, .port_hi = 65535, .lo = { 10, 2 }, .hi = { 10, 2, 0, 255 } };
    assert_int_equal(uesp_install(&u, &c, 64, NULL), 0);
    u.cnt.unknown_spi = 3;
    uint64_t extra_v = 42;
    struct metrics_extra x = { "kite_test_extra_total", "an extra", &extra_v };
    struct metrics_env me = { e, &u, NULL, &x, 1 };
    struct prom p;
    prom_init(&p);
    assert_int_equal(metrics_render(&me, NULL, &p), 0);
    check_families(p.buf);
    assert_non_null(strstr(p.buf, "kite_child_sa_bytes_total{connection=\"we\\\"ird\\\\\",child=\"net\","
                                  "spi=\"c0000001\",direction=\"in\"} 0\n"));
    assert_non_null(strstr(p.buf, "kite_dataplane_drops_total{reason=\"unknown_spi\"} 3\n"));
    assert_non_null(strstr(p.buf, "kite_ike_sas{state=\"ESTABLISHED\"} 0\n"));
    assert_non_null(strstr(p.buf, "kite_ike_handshakes_failed_total{reason=\"ts_unacceptable\"} 0\n"));
    assert_non_null(strstr(p.buf, "kite_test_extra_total 42\n"));
    prom_free(&p);
    uesp_free(&u);
    ike_engine_free(e);
}

/* ---- the server ---- */

static void handler(void *ctx, const char *method, const char *path, struct httpd_reply *r)
{
    (void)ctx;
    (void)method;
    if (strcmp(path, "/metrics"))
        return;
    r->status = 200;
    r->body = "kite_up 1\n";
    r->len = 10;
}

static int dial(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = { 0, 200000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* send req, run the server, read the whole answer ("" if none, "EOF" when closed without one) */
static const char *ask(struct httpd *h, int fd, const char *req, char *buf, size_t cap)
{
    if (req)
        assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    size_t n = 0;
    for (int i = 0; i < 20; i++) {
        usleep(2000);
        httpd_run(h, 0);
    }
    ssize_t r;
    while (n + 1 < cap && (r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    if (!n && r == 0)
        snprintf(buf, cap, "EOF");
    return buf;
}

static struct httpd *server(int *port, unsigned max_clients)
{
    struct httpd *h = NULL;
    struct httpd_cfg cfg = { max_clients, 256, 1000, 64 };
    char addr[32];
    for (int i = 0; i < 20 && !h; i++) {
        *port = 20000 + (int)(getpid() * 7 + i * 131) % 40000;
        snprintf(addr, sizeof addr, "127.0.0.1:%d", *port);
        httpd_open(&h, addr, &cfg, handler, NULL);
    }
    assert_non_null(h);
    return h;
}

static void http_answers(void **s)
{
    (void)s;
    int port;
    char b[2048];
    struct httpd *h = server(&port, 4);
    int fd = dial(port);
    ask(h, fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n", b, sizeof b);
    assert_non_null(strstr(b, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(b, "Content-Length: 10\r\n"));
    assert_non_null(strstr(b, "\r\n\r\nkite_up 1\n"));
    close(fd);
    fd = dial(port);
    assert_non_null(strstr(ask(h, fd, "GET /metrics?x=1 HTTP/1.0\n\n", b, sizeof b), "HTTP/1.1 200 OK"));
    close(fd);
    fd = dial(port);
    assert_non_null(strstr(ask(h, fd, "GET / HTTP/1.1\r\n\r\n", b, sizeof b), "HTTP/1.1 404 Not Found"));
    close(fd);
    fd = dial(port);
    ask(h, fd, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b, sizeof b);
    assert_non_null(strstr(b, "HTTP/1.1 405 Method Not Allowed"));
    assert_non_null(strstr(b, "Allow: GET, HEAD"));
    close(fd);
    fd = dial(port);
    assert_non_null(strstr(ask(h, fd, "\x16\x03\x01 garbage\r\n\r\n", b, sizeof b), "HTTP/1.1 400 Bad Request"));
    close(fd);
    fd = dial(port);
    ask(h, fd, "HEAD /metrics HTTP/1.1\r\n\r\n", b, sizeof b);
    assert_non_null(strstr(b, "200 OK"));
    assert_null(strstr(b, "kite_up"));
    close(fd);
    /* a head that never ends: 431 at max_request (256), then closed */
    fd = dial(port);
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_non_null(strstr(ask(h, fd, big, b, sizeof b), "431"));
    close(fd);
    struct httpd_stats st;
    httpd_get_stats(h, &st);
    assert_int_equal(st.served, 3);
    assert_int_equal(st.bad, 4);
    httpd_close(h);
}

static void http_bounded(void **s)
{
    (void)s;
    int port, fd[6];
    char b[512];
    struct httpd *h = server(&port, 4);
    for (int i = 0; i < 6; i++) { /* 2 more than max_clients: the two oldest go */
        fd[i] = dial(port);
        ask(h, fd[i], NULL, b, sizeof b);
        httpd_tick(h, 0);
    }
    struct httpd_stats st;
    httpd_get_stats(h, &st);
    assert_int_equal(st.clients, 4);
    assert_int_equal(st.evicted, 2);
    assert_string_equal(ask(h, fd[0], NULL, b, sizeof b), "EOF");
    assert_string_equal(ask(h, fd[1], NULL, b, sizeof b), "EOF");
    assert_string_equal(ask(h, fd[2], NULL, b, sizeof b), "");
    /* the newest still gets its answer */
    assert_non_null(strstr(ask(h, fd[5], "GET /metrics HTTP/1.1\r\n\r\n", b, sizeof b), "200 OK"));
    /* silent ones are closed at their deadline (1000 ms after connecting at time 0) */
    assert_int_equal(httpd_tick(h, 999), 1000);
    assert_int_equal(httpd_tick(h, 1000), UINT64_MAX);
    httpd_get_stats(h, &st);
    assert_int_equal(st.clients, 0);
    assert_int_equal(st.timeouts, 3);
    assert_string_equal(ask(h, fd[2], NULL, b, sizeof b), "EOF");
    for (int i = 0; i < 6; i++)
        close(fd[i]);
    struct sockaddr_storage ss;
    unsigned len;
    assert_int_equal(httpd_parse_addr("[::1]:9100", &ss, &len), 0);
    assert_int_equal(httpd_parse_addr("0.0.0.0:9100", &ss, &len), 0);
    assert_int_equal(httpd_parse_addr("0.0.0.0", &ss, &len), -EINVAL);
    assert_int_equal(httpd_parse_addr("1.2.3.4:70000", &ss, &len), -EINVAL);
    assert_int_equal(httpd_parse_addr("host:80", &ss, &len), -EINVAL);
    httpd_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_and_help_escaping),
        cmocka_unit_test(page),
        cmocka_unit_test(http_answers),
        cmocka_unit_test(http_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
