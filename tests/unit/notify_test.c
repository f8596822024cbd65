/* daemon/notify: systemd's readiness datagrams (sd_notify protocol) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "testutil.h"
#include "daemon/notify.h"

/* a datagram socket bound at `name` (a path, or "@x" abstract) */
static int listener(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(name);
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
    return fd;
}

static void expect_datagram(int fd, const char *want)
{
    char buf[128];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void test_path_socket(void **st)
{
    (void)st;
    char path[] = "/tmp/kite-notify-XXXXXX";
    assert_non_null(mkdtemp(path));
    char sock[64];
    snprintf(sock, sizeof sock, "%s/n.sock", path);
    int fd = listener(sock);
    setenv("NOTIFY_SOCKET", sock, 1);
    assert_int_equal(notify_send("READY=1"), 1);
    expect_datagram(fd, "READY=1");
    assert_int_equal(notify_send("STOPPING=1"), 1);
    expect_datagram(fd, "STOPPING=1");
    close(fd);
    unlink(sock);
    rmdir(path);
    /* nobody listening any more: an error, not a crash or a hang */
    assert_int_equal(notify_send("READY=1"), -1);
    unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket(void **st)
{
    (void)st;
    char name[64];
    snprintf(name, sizeof name, "@kite-notify-test-%d", (int)getpid());
    int fd = listener(name);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(notify_send("READY=1"), 1);
    expect_datagram(fd, "READY=1");
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

/* not under systemd: nothing sent, nothing wrong; a malformed variable is an error */
static void test_absent_and_bad(void **st)
{
    (void)st;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(notify_send("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(notify_send("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    assert_int_equal(notify_send("READY=1"), -1);
    assert_int_equal(errno, EINVAL);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    setenv("NOTIFY_SOCKET", longp, 1);
    assert_int_equal(notify_send("READY=1"), -1);
    unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket),
        cmocka_unit_test(test_absent_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
