#include "io/tun.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

_Static_assert(TUN_NAME_MAX == IFNAMSIZ, "TUN_NAME_MAX is IFNAMSIZ");

static int tun_open_flags(const char *name_hint, char name_out[TUN_NAME_MAX], int *ifindex, short flags);

int tun_open(const char *name_hint, char name_out[TUN_NAME_MAX], int *ifindex)
{
    return tun_open_flags(name_hint, name_out, ifindex, 0);
}

int tun_open_offload(const char *name_hint, char name_out[TUN_NAME_MAX], int *ifindex)
{
    int fd = tun_open_flags(name_hint, name_out, ifindex, IFF_VNET_HDR);
    if (fd < 0)
        return fd;
    int sz = TUN_VNET_HDR_LEN;
    unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(fd, TUNSETOFFLOAD, off) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static int tun_open_flags(const char *name_hint, char name_out[TUN_NAME_MAX], int *ifindex, short flags)
{
    if (!name_hint)
        name_hint = "kite%d";
    size_t n = strlen(name_hint);
    if (n == 0 || n >= IFNAMSIZ || !name_out)
        return -EINVAL;

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name_hint, n);
    ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | flags);

    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        rc = -errno;
        goto out;
    }
    ifr.ifr_name[IFNAMSIZ - 1] = '\0';
    if (ifindex) {
        unsigned idx = if_nametoindex(ifr.ifr_name);
        if (idx == 0) {
            rc = errno ? -errno : -ENODEV;
            goto out;
        }
        *ifindex = (int)idx;
    }
    memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
out:
    if (rc) {
        close(fd);
        return rc;
    }
    return fd;
}
