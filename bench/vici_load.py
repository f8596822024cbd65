#!/usr/bin/env python3
"""Make a charon initiate N IKE SAs with distinct identities, about W unfinished at once at most.

bench/capacity.sh's charon initiator (Debian's strongSwan has no load-tester plugin).  Over one
connection to charon's VICI socket: a PSK for any identity (load-shared), then N connections c1 .. cN
with local identity load-i@example.com (--id-format), each with one Child SA whose start_action =
start, so that loading connection i sends its IKE_SA_INIT (charon initiates in the load-conn handler).
Every W/10 loads (at most 50) the `stats` command gives charon's half-open IKE SAs, and no connection
is loaded while W or more are half-open: like kite-load's --window, the responder sees a bounded
number of unfinished handshakes, and neither charon's receive queue nor the responder's overflows
and loses IKE SAs (swanctl --load-all cannot be paced: charon sent all 10,000 as fast as it loaded
them and 645 never came up).  The charon should run with reuse_ikesa = no: otherwise every
initiation walks its whole IKE SA table looking for one to reuse (see bench/capacity.sh).

Prints "start T" (the wall clock, in s, before the first load-conn), then "loaded N connections in
S s (max half-open H, K stats calls, S s)" and exits 0; 1 when charon refuses a request (its errmsg on
stderr) or closes the socket, 2 on a usage error.
"""
import argparse
import socket
import struct
import sys
import time

# VICI packet types and message elements (strongSwan's src/libcharon/plugins/vici/README.md)
CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6


def name(s):
    b = s.encode()
    return struct.pack("!B", len(b)) + b


def value(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def encode(tree):
    """A dict as a VICI message: str values are key/values, lists are lists, dicts sections."""
    out = b""
    for k, v in tree.items():
        if isinstance(v, dict):
            out += bytes([SECTION_START]) + name(k) + encode(v) + bytes([SECTION_END])
        elif isinstance(v, list):
            out += bytes([LIST_START]) + name(k)
            out += b"".join(bytes([LIST_ITEM]) + value(i) for i in v) + bytes([LIST_END])
        else:
            out += bytes([KEY_VALUE]) + name(k) + value(v)
    return out


def decode(data):
    """A VICI message as a dict (lists as lists of str, sections as dicts)."""
    stack, cur, pos, lst = [], {}, 0, None
    while pos < len(data):
        t = data[pos]
        pos += 1
        if t in (SECTION_START, LIST_START, KEY_VALUE):
            n = data[pos]
            key = data[pos + 1:pos + 1 + n].decode()
            pos += 1 + n
        if t == SECTION_START:
            stack.append(cur)
            cur[key] = {}
            cur = cur[key]
        elif t == SECTION_END:
            cur = stack.pop()
        elif t == KEY_VALUE:
            (n,) = struct.unpack_from("!H", data, pos)
            cur[key] = data[pos + 2:pos + 2 + n].decode(errors="replace")
            pos += 2 + n
        elif t == LIST_START:
            lst = cur[key] = []
        elif t == LIST_ITEM:
            (n,) = struct.unpack_from("!H", data, pos)
            lst.append(data[pos + 2:pos + 2 + n].decode(errors="replace"))
            pos += 2 + n
        elif t != LIST_END:
            raise ValueError(f"VICI element type {t}")
    return cur


class Vici:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)

    def recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("charon closed the VICI socket")
            buf += chunk
        return buf

    def request(self, cmd, tree=None):
        pkt = bytes([CMD_REQUEST]) + name(cmd) + encode(tree or {})
        self.sock.sendall(struct.pack("!I", len(pkt)) + pkt)
        (n,) = struct.unpack("!I", self.recv(4))
        pkt = self.recv(n)
        if pkt[0] != CMD_RESPONSE:
            raise ConnectionError(f"{cmd}: answered with packet type {pkt[0]}")
        return decode(pkt[1:])


def conn(args, i):
    ident = args.id_format.replace("%u", str(i))
    return {f"c{i}": {
        "version": "2",
        "local_addrs": [args.local], "remote_addrs": [args.remote],
        "proposals": [args.ike],
        "local": {"auth": "psk", "id": ident},
        "remote": {"auth": "psk", "id": args.remote_id},
        "children": {"c": {"local_ts": [args.local_ts], "remote_ts": [args.remote_ts],
                           "esp_proposals": [args.esp], "start_action": "start"}}}}


def check(reply, what):
    if reply.get("success") != "yes":
        print(f"vici_load: {what}: {reply.get('errmsg', 'refused')}", file=sys.stderr)
        sys.exit(1)


class Window:
    """charon's half-open IKE SAs by its `stats` command, with the calls and the time they took."""

    def __init__(self, v):
        self.v, self.calls, self.secs = v, 0, 0.0

    def half_open(self):
        t = time.monotonic()
        n = int(self.v.request("stats").get("ikesas", {}).get("half-open", "0"))
        self.calls += 1
        self.secs += time.monotonic() - t
        return n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True, help="charon's VICI unix socket")
    p.add_argument("-n", "--count", type=int, required=True)
    p.add_argument("--window", type=int, default=500, help="half-open IKE SAs at most (0: unpaced)")
    p.add_argument("--local", required=True)
    p.add_argument("--remote", required=True)
    p.add_argument("--psk", required=True)
    p.add_argument("--id-format", default="load-%u@example.com")
    p.add_argument("--remote-id", default="%any")
    p.add_argument("--ike", default="aes128gcm16-prfsha256-x25519")
    p.add_argument("--esp", default="aes128gcm16")
    p.add_argument("--local-ts", default="0.0.0.0/0")
    p.add_argument("--remote-ts", default="0.0.0.0/0")
    args = p.parse_args()
    if args.count < 0 or args.window < 0:
        p.error("count and window must not be negative")

    v = Vici(args.socket)
    check(v.request("load-shared", {"type": "IKE", "data": args.psk}), "load-shared")
    # the wall clock as the first IKE_SA_INIT is about to leave (python's start-up here is a second)
    print(f"start {time.time():.6f}", flush=True)
    t0, peak, w = time.monotonic(), 0, Window(v)
    # `stats` every `step` loads (so up to step - 1 more than W may be half-open), and every 0.1 s
    # while W are: each call also has charon total up its heap (mallinfo), so not more often
    step = max(1, min(50, args.window // 10))
    for i in range(1, args.count + 1):
        if args.window and (i - 1) % step == 0:
            known = w.half_open()
            while known >= args.window:
                time.sleep(0.1)
                known = w.half_open()
            peak = max(peak, known)
        check(v.request("load-conn", conn(args, i)), f"load-conn c{i}")
    print(f"loaded {args.count} connections in {time.monotonic() - t0:.2f} s (max half-open {peak},"
          f" {w.calls} stats calls, {w.secs:.2f} s)", flush=True)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:  # ConnectionError is an OSError
        print(f"vici_load: {e}", file=sys.stderr)
        sys.exit(1)
