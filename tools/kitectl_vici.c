/* kitectl_vici: the connection to the daemon.  Packets out are built with
 * vici_bld; packets in are read whole (4-byte length, at most VICI_MSG_MAX)
 * and their message checked by vici_msg_walk before anything looks at it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kitectl.h"

int ctl_send_built(struct ctl *c, struct vici_bld *b)
{
    struct span out;
    int rc = vici_bld_finish(b, &out);
    if (!rc && write(c->fd, out.p, out.n) != (ssize_t)out.n)
        rc = -errno;
    return rc;
}

int ctl_send(struct ctl *c, uint8_t op, const char *name, const char *const *kv)
{
    struct vici_bld b;
    vici_bld_init(&b, 0);
    vici_bld_packet(&b, op, name);
    for (; kv && kv[0]; kv += 2)
        if (kv[1])
            vici_bld_kv_str(&b, kv[0], kv[1]);
    int rc = ctl_send_built(c, &b);
    vici_bld_free(&b);
    return rc;
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

bool ctl_recv(struct ctl *c, int timeout_ms)
{
    uint8_t h[4];
    free(c->in);
    c->in = NULL;
    struct pollfd pf = { c->fd, POLLIN, 0 };
    if (timeout_ms > 0 && poll(&pf, 1, timeout_ms) <= 0)
        return false;
    if (!read_all(c->fd, h, 4))
        return false;
    uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (n > VICI_MSG_MAX || !(c->in = malloc(n ? n : 1)) || !read_all(c->fd, c->in, n))
        return false;
    return vici_packet_decode(span_of(c->in, n), &c->pk) == 0 &&
           vici_msg_walk(c->pk.msg, VICI_DEPTH_MAX, NULL, NULL) == 0;
}

bool ctl_is_event(const struct ctl *c, const char *name)
{
    return c->pk.op == VICI_EVENT && c->pk.name.n == strlen(name) && !memcmp(c->pk.name.p, name, c->pk.name.n);
}

int ctl_register(struct ctl *c, const char *event)
{
    if (ctl_send(c, VICI_EVENT_REGISTER, event, NULL) || !ctl_recv(c, 0))
        return -1;
    return c->pk.op == VICI_EVENT_CONFIRM ? 0 : -1;
}

int ctl_call(struct ctl *c, struct vici_bld *b, char *err, size_t cap)
{
    char ok[8] = "yes";
    err[0] = 0;
    if (ctl_send_built(c, b) || !ctl_recv(c, 0)) {
        snprintf(err, cap, "no answer from the daemon");
        return 1;
    }
    if (c->pk.op == VICI_CMD_UNKNOWN) {
        snprintf(err, cap, "the daemon does not know this command");
        return 2;
    }
    if (c->pk.op != VICI_CMD_RESPONSE) {
        snprintf(err, cap, "unexpected %s from the daemon", vici_op_name(c->pk.op));
        return 1;
    }
    vici_msg_get_str(c->pk.msg, "success", ok, sizeof ok);
    vici_msg_get_str(c->pk.msg, "errmsg", err, cap);
    return strcmp(ok, "yes") != 0;
}

bool ctl_name_is(const struct vici_elem *e, const char *s)
{
    return e->name.n == strlen(s) && !memcmp(e->name.p, s, e->name.n);
}
