/* io/unix: the length-prefixed unix stream server */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "testutil.h"
#include "io/unix.h"

struct ctx {
    int frames, gone;
    size_t last_len;
    char notes[512];
};

/* echoes each frame; a frame "bye" is refused */
static int on_frame(void *p, struct unix_client *c, const uint8_t *f, size_t n)
{
    struct ctx *x = p;
    uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    x->frames++;
    x->last_len = n;
    if (n == 3 && !memcmp(f, "bye", 3))
        return 1;
    unix_client_send(c, hdr, 4);
    unix_client_send(c, f, n);
    return 0;
}

static void on_gone(void *p, struct unix_client *c)
{
    (void)c;
    ((struct ctx *)p)->gone++;
}

static void on_note(void *p, const char *msg)
{
    struct ctx *x = p;
    snprintf(x->notes + strlen(x->notes), sizeof x->notes - strlen(x->notes), "%s\n", msg);
}

static char path[64];

static struct unix_srv *open_srv(struct ctx *x, size_t max_out, unsigned max_clients)
{
    struct unix_srv_cfg cfg = { 1024, max_out, max_clients, 0770, 64 };
    struct unix_srv_ops ops = { on_frame, on_gone, on_note, x };
    struct unix_srv *s;
    snprintf(path, sizeof path, "/tmp/kite-unix-test.%d", (int)getpid());
    assert_int_equal(unix_srv_open(&s, path, &cfg, &ops), 0);
    return s;
}

static int dial(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void run(struct unix_srv *s, int rounds)
{
    for (int i = 0; i < rounds; i++)
        unix_srv_run(s);
}

static void send_frame(int fd, const char *body, uint32_t len)
{
    uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
    assert_int_equal(write(fd, hdr, 4), 4);
    if (body)
        assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
}

/* true if the server closed fd (EOF or reset), waiting up to a second */
static bool closed_by_server(int fd)
{
    char b[256];
    struct timeval tv = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
        ssize_t n = read(fd, b, sizeof b);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0)
            return false;
    }
}

static void frames_in_pieces_and_echo(void **st)
{
    (void)st;
    struct ctx x = { 0 };
    struct unix_srv *s = open_srv(&x, 1 << 16, 8);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISSOCK(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0770);
    int fd = dial();
    run(s, 2);
    /* a frame in three writes, then two frames in one */
    assert_int_equal(write(fd, "\0\0", 2), 2);
    run(s, 2);
    assert_int_equal(write(fd, "\0\5he", 4), 4);
    run(s, 2);
    assert_int_equal(x.frames, 0);
    assert_int_equal(write(fd, "llo\0\0\0\1x", 8), 8);
    run(s, 2);
    assert_int_equal(x.frames, 2);
    char buf[32];
    assert_int_equal(read(fd, buf, sizeof buf), 4 + 5 + 4 + 1);
    assert_memory_equal(buf, "\0\0\0\5hello\0\0\0\1x", 14);
    close(fd);
    run(s, 2);
    assert_int_equal(x.gone, 1);
    unix_srv_close(s);
    assert_int_not_equal(access(path, F_OK), 0); /* the socket file is removed */
}

static void oversized_or_refused_frame_closes_that_client_only(void **st)
{
    (void)st;
    struct ctx x = { 0 };
    struct unix_srv *s = open_srv(&x, 1 << 16, 8);
    int good = dial(), big = dial(), bye = dial();
    run(s, 3);
    send_frame(big, NULL, 1025); /* max_frame is 1024: closed on the length alone */
    send_frame(bye, "bye", 3);
    run(s, 3);
    assert_true(closed_by_server(big));
    assert_true(closed_by_server(bye));
    struct unix_srv_stats stt;
    unix_srv_get_stats(s, &stt);
    assert_int_equal(stt.oversized, 1);
    assert_int_equal(stt.rejected, 1);
    assert_int_equal(stt.clients, 1);
    assert_non_null(strstr(x.notes, "1025 bytes, over the limit"));
    /* the other client is still served */
    send_frame(good, "ok", 2);
    run(s, 2);
    char buf[16];
    assert_int_equal(read(good, buf, sizeof buf), 6);
    close(good);
    close(big);
    close(bye);
    unix_srv_close(s);
}

static void client_that_does_not_read_is_dropped(void **st)
{
    (void)st;
    struct ctx x = { 0 };
    struct unix_srv *s = open_srv(&x, 8192, 8);
    int fd = dial();
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    run(s, 2);
    char body[1001];
    memset(body, 'a', 1000);
    body[1000] = 0;
    /* each frame is echoed; nobody reads: the socket buffers fill, then the queue */
    for (int i = 0; i < 2000 && x.gone == 0; i++) {
        send_frame(fd, body, 1000);
        run(s, 1);
    }
    struct unix_srv_stats stt;
    unix_srv_get_stats(s, &stt);
    assert_int_equal(stt.slow, 1);
    assert_int_equal(x.gone, 1);
    assert_int_equal(stt.clients, 0);
    assert_non_null(strstr(x.notes, "does not read its output"));
    close(fd);
    unix_srv_close(s);
}

static void clients_over_the_limit_are_refused(void **st)
{
    (void)st;
    struct ctx x = { 0 };
    struct unix_srv *s = open_srv(&x, 8192, 3);
    int fds[5];
    for (int i = 0; i < 5; i++)
        fds[i] = dial();
    run(s, 6);
    struct unix_srv_stats stt;
    unix_srv_get_stats(s, &stt);
    assert_int_equal(stt.clients, 3);
    assert_int_equal(stt.refused, 2);
    assert_non_null(strstr(x.notes, "3 clients connected, refused one"));
    int served = 0;
    for (int i = 0; i < 5; i++) { /* the refused ones are closed: EPIPE */
        send(fds[i], "\0\0\0\1x", 5, MSG_NOSIGNAL);
        run(s, 2);
    }
    for (int i = 0; i < 5; i++) {
        char buf[8];
        struct timeval tv = { 0, 200000 };
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        served += read(fds[i], buf, sizeof buf) == 5;
        close(fds[i]);
    }
    assert_int_equal(served, 3);
    unix_srv_close(s);
}

static void socket_path_is_checked(void **st)
{
    (void)st;
    struct ctx x = { 0 };
    struct unix_srv_cfg cfg = { 1024, 8192, 8, 0770, 64 };
    struct unix_srv_ops ops = { on_frame, on_gone, on_note, &x };
    struct unix_srv *s = open_srv(&x, 8192, 8), *t;
    /* a live server there: refused */
    assert_int_equal(unix_srv_open(&t, path, &cfg, &ops), -EADDRINUSE);
    /* a stale socket (its server gone without removing it) is replaced */
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    unix_srv_close(s);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, path, strlen(path));
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(lfd);
    assert_int_equal(unix_srv_open(&t, path, &cfg, &ops), 0);
    unix_srv_close(t);
    /* a regular file or a symbolic link: refused, left alone */
    int f = open(path, O_CREAT | O_WRONLY, 0600);
    close(f);
    assert_int_equal(unix_srv_open(&t, path, &cfg, &ops), -EEXIST);
    unlink(path);
    assert_int_equal(symlink("/tmp", path), 0);
    assert_int_equal(unix_srv_open(&t, path, &cfg, &ops), -EEXIST);
    unlink(path);
    char longp[200];
    memset(longp, 'p', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    assert_int_equal(unix_srv_open(&t, longp, &cfg, &ops), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_in_pieces_and_echo),
        cmocka_unit_test(oversized_or_refused_frame_closes_that_client_only),
        cmocka_unit_test(client_that_does_not_read_is_dropped),
        cmocka_unit_test(clients_over_the_limit_are_refused),
        cmocka_unit_test(socket_path_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
