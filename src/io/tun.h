/* tun: the TUN device of the userspace data plane.
 * Cleartext IP packets leave the kernel through a TUN interface, are
 * protected with ESP in kite and sent on the UDP sockets; decrypted packets
 * are written back to it.  The device is a plain layer-3 TUN without the
 * packet-information prefix, so one read or write is exactly one IP packet.
 * It lives as long as the fd (not persistent); addresses, MTU and routes are
 * set through io/netlink. */
#ifndef KITE_IO_TUN_H
#define KITE_IO_TUN_H

#define TUN_NAME_MAX 16 /* IFNAMSIZ, with the terminating NUL */

/* open a TUN device (IFF_TUN | IFF_NO_PI), O_NONBLOCK | O_CLOEXEC.  name_hint
 * is a name ("kite0") or a pattern the kernel numbers ("kite%d"); NULL means
 * "kite%d".  The kernel's name is written to name_out and, when ifindex is not
 * NULL, its interface index to *ifindex.  Returns the fd or -errno. */
int tun_open(const char *name_hint, char name_out[TUN_NAME_MAX], int *ifindex);

/* the same with offloads: every read and write starts with a 10-byte
 * struct virtio_net_hdr, and the kernel may hand over TCP packets of up to
 * 64 KB to be segmented (TSO4/TSO6) and packets whose transport checksum is
 * left to finish (CSUM); esp/offload.h does both.  fd or -errno. */
enum { TUN_VNET_HDR_LEN = 10 };
int tun_open_offload(const char *name_hint, char name_out[TUN_NAME_MAX], int *ifindex);

#endif
