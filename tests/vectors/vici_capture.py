#!/usr/bin/env python3
"""Records what a VICI client (strongSwan's swanctl) sends.

Listens on the unix socket argv[1] and writes every packet it receives, with
its 4-byte length, to argv[2]/vici_<kind>_<name>.bin (kind: req for
CMD_REQUEST, reg/unreg for EVENT_(UN)REGISTER).  It answers just enough for
the client to go on: EVENT_CONFIRM to registrations, and CMD_RESPONSE with
success=yes to every command.  Stops after argv[3] seconds."""
import os, socket, struct, sys, threading, time

KINDS = {0: "req", 3: "reg", 4: "unreg"}
RESPONSE = bytes([1]) + bytes([3, 7]) + b"success" + struct.pack(">H", 3) + b"yes"


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve(conn, outdir):
    while True:
        head = recv_exact(conn, 4)
        if head is None:
            return
        body = recv_exact(conn, struct.unpack(">I", head)[0])
        if body is None:
            return
        op = body[0]
        name = body[2:2 + body[1]].decode() if op in KINDS else "x"
        with open(os.path.join(outdir, "vici_%s_%s.bin" % (KINDS.get(op, "op%d" % op), name)), "wb") as f:
            f.write(head + body)
        if op in (3, 4):
            conn.sendall(frame(bytes([5])))
        elif op == 0:
            conn.sendall(frame(RESPONSE))


def main():
    path, outdir, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    srv.settimeout(0.2)
    end = time.time() + secs
    while time.time() < end:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn, outdir), daemon=True).start()
    os.unlink(path)


if __name__ == "__main__":
    main()
