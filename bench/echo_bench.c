/* echo_bench: the machine's cost of waking a UDP server for each datagram,
 * the anchor of bench/capacity.sh's rows where charon initiates.
 *
 * A responder that gets its datagrams one at a time, at a few hundred a
 * second, is woken for each: the CPU goes idle between them, and each
 * arrival pays the wake-up, the system calls and caches gone cold.  On a
 * virtual machine that cost can exceed the work done per datagram.  This
 * measures it with no work at all: "serve" is an empty UDP echo in the shape
 * of kited's loop (epoll_wait, recvmsg until EAGAIN, a sendmsg per
 * datagram); "drive" sends it COUNT datagrams of 300 bytes (an IKE_SA_INIT
 * request's size), each once the previous one is answered, paced to RATE a
 * second (0: back to back).  The caller reads the server's CPU time
 * (/proc/PID/schedstat) before and after the drive.
 *   echo_bench serve PORT
 *   echo_bench drive ADDR PORT COUNT RATE
 *     prints: sent=<n> answered=<n> seconds=<s>
 * An answer missing for a second counts as unanswered and the drive goes on. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DATAGRAM 300

static int usage(void)
{
    fprintf(stderr, "usage: echo_bench serve PORT | echo_bench drive ADDR PORT COUNT RATE\n");
    return 2;
}

static int port_of(const char *s)
{
    char *end;
    long p = strtol(s, &end, 10);
    return *end || p < 1 || p > 65535 ? -1 : (int)p;
}

static int serve(int port)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event want = { .events = EPOLLIN };
    if (s < 0 || ep < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || epoll_ctl(ep, EPOLL_CTL_ADD, s, &want)) {
        perror("echo_bench serve");
        return 1;
    }
    unsigned char buf[2048];
    for (;;) {
        struct epoll_event ev[8];
        if (epoll_wait(ep, ev, 8, -1) < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (;;) {
            struct sockaddr_in peer;
            struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
            struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1 };
            ssize_t n = recvmsg(s, &m, 0);
            if (n < 0)
                break; /* EAGAIN: back to sleep, as kited goes */
            iov.iov_len = (size_t)n;
            (void)sendmsg(s, &m, 0);
        }
    }
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int drive(const char *addr, int port, long count, double rate)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct timeval wait = { .tv_sec = 1 };
    if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) || connect(s, (struct sockaddr *)&a, sizeof a)) {
        fprintf(stderr, "echo_bench drive: cannot reach %s:%d\n", addr, port);
        return 1;
    }
    unsigned char buf[2048];
    memset(buf, 0x5a, DATAGRAM);
    long sent = 0, answered = 0;
    double t0 = mono_s();
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            double due = t0 + (double)i / rate, now = mono_s();
            if (due > now) {
                struct timespec d = { .tv_sec = (time_t)(due - now) };
                d.tv_nsec = (long)((due - now - (double)d.tv_sec) * 1e9);
                nanosleep(&d, NULL);
            }
        }
        if (send(s, buf, DATAGRAM, 0) == DATAGRAM)
            sent++;
        if (recv(s, buf, sizeof buf, 0) > 0)
            answered++;
    }
    printf("sent=%ld answered=%ld seconds=%.3f\n", sent, answered, mono_s() - t0);
    return sent == count && answered == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "serve") && port_of(argv[2]) > 0)
        return serve(port_of(argv[2]));
    if (argc == 6 && !strcmp(argv[1], "drive") && port_of(argv[3]) > 0) {
        long count = strtol(argv[4], NULL, 10);
        double rate = strtod(argv[5], NULL);
        if (count < 1 || rate < 0)
            return usage();
        return drive(argv[2], port_of(argv[3]), count, rate);
    }
    return usage();
}
