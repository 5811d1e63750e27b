#!/usr/bin/python3
"""Packet tools for the UML guest harness (docs/uml.md). Standard library only, so the
guest (whose root is the host filesystem) runs it with /usr/bin/python3.

  sink    UDP 664 socket: logs every datagram, optionally echoes it, stops at a fence
  fence   sends a plaintext datagram to the sink's fence port and waits for its answer
  send    UDP datagrams from a socket (the kernel applies its XFRM policy)
  sniff   AF_PACKET capture of IPv4 frames on one interface into NNN.ip files
  inject  writes raw IPv4 packets (files) as Ethernet frames on one interface
  mutate  copies a raw IPv4 ESP/AH packet with a new sequence number and/or a flipped bit

The fence orders things without sleeping: the guest kernel (one CPU) handles frames on a
veth in order, so once the sink sees the fence datagram every packet injected before it
has been delivered or dropped, and once the sniffer sees the fence answer every datagram
the sink echoed before it is on the wire.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_QDISC_BYPASS = 20
FENCE_MAGIC = b"rmcpsec-uml-fence"


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def signal_ready(path):
    if path:
        with open(path, "w") as f:
            f.write("ready\n")


def cmd_sink(a):
    data = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data.bind((a.bind, a.port))
    fence = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fence.bind((a.bind, a.fence_port))
    log = open(a.out, "a")
    signal_ready(a.ready)
    deadline = time.monotonic() + a.timeout

    def take(block):
        data.setblocking(block)
        try:
            payload, peer = data.recvfrom(65535)
        except BlockingIOError:
            return False
        log.write("%s %d %s\n" % (peer[0], peer[1], payload.hex()))
        log.flush()
        if a.echo:
            data.sendto(payload, peer)
        return True

    while time.monotonic() < deadline:
        r, _, _ = select.select([data, fence], [], [], 1.0)
        if data in r:
            take(False)
        if fence in r:
            msg, peer = fence.recvfrom(65535)
            while take(False):
                pass
            fence.sendto(msg, peer)
            if a.once:
                return 0
    print("sink: timed out", file=sys.stderr)
    return 1


def cmd_fence(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.sendto(FENCE_MAGIC, (a.dst, a.fence_port))
    try:
        msg, _ = s.recvfrom(65535)
    except socket.timeout:
        print("fence: no answer from %s:%d" % (a.dst, a.fence_port), file=sys.stderr)
        return 1
    return 0 if msg == FENCE_MAGIC else 1


def cmd_send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("0.0.0.0", a.sport))
    for text in a.payload:
        s.sendto(text.encode(), (a.dst, a.port))
    return 0


def is_fence_answer(ip):
    ihl = (ip[0] & 0x0F) * 4
    return len(ip) >= ihl + 8 and ip[9] == 17 and ip[ihl + 8:] == FENCE_MAGIC


def cmd_sniff(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    os.makedirs(a.out, exist_ok=True)
    protos = set(int(p) for p in a.proto.split(",")) if a.proto else None
    signal_ready(a.ready)
    n = 0
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 1.0)
        if not r:
            continue
        frame, addr = s.recvfrom(65535)
        outgoing = addr[2] == PACKET_OUTGOING
        if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
            continue
        ip = frame[14:]
        ip = ip[: struct.unpack("!H", ip[2:4])[0]]
        if is_fence_answer(ip) and not outgoing:
            return 0
        if a.direction == "out" and not outgoing:
            continue
        if a.direction == "in" and outgoing:
            continue
        if protos is not None and ip[9] not in protos:
            continue
        n += 1
        with open(os.path.join(a.out, "%03d.ip" % n), "wb") as f:
            f.write(ip)
    print("sniff: no fence answer seen", file=sys.stderr)
    return 1


def cmd_inject(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    # Straight to the driver: the frames skip the taps, so a sniffer on the same
    # interface records only what the kernel itself sends.
    s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    s.bind((a.iface, 0))
    dst = mac_bytes(a.dst_mac)
    src = mac_bytes(a.src_mac) if a.src_mac else s.getsockname()[4]
    eth = dst + src + struct.pack("!H", ETH_P_IP)
    for path in a.files:
        with open(path, "rb") as f:
            s.send(eth + f.read())
    return 0


def cmd_mutate(a):
    with open(a.src, "rb") as f:
        ip = bytearray(f.read())
    ihl = (ip[0] & 0x0F) * 4
    proto = ip[9]
    if proto == 50:
        seq_at = ihl + 4
    elif proto == 51:
        seq_at = ihl + 8
    else:
        print("mutate: protocol %d is neither ESP nor AH" % proto, file=sys.stderr)
        return 1
    if a.seq is not None:
        ip[seq_at:seq_at + 4] = struct.pack("!I", a.seq)
    if a.flip is not None:
        # Counted from the end so that it lands in the ciphertext / payload, not in
        # the headers whose layout differs between ESP, AH and the bundle.
        ip[len(ip) - a.flip] ^= 0x01
    with open(a.dst, "wb") as f:
        f.write(ip)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("sink")
    s.add_argument("--bind", default="0.0.0.0")
    s.add_argument("--port", type=int, default=664)
    s.add_argument("--fence-port", type=int, default=6640)
    s.add_argument("--out", required=True)
    s.add_argument("--ready")
    s.add_argument("--echo", action="store_true")
    s.add_argument("--once", action="store_true", help="exit after the first fence")
    s.add_argument("--timeout", type=float, default=60)

    s = sub.add_parser("fence")
    s.add_argument("--dst", required=True)
    s.add_argument("--fence-port", type=int, default=6640)
    s.add_argument("--timeout", type=float, default=10)

    s = sub.add_parser("send")
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, default=664)
    s.add_argument("--sport", type=int, default=0)
    s.add_argument("payload", nargs="+")

    s = sub.add_parser("sniff")
    s.add_argument("--iface", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--direction", choices=["in", "out", "both"], default="both")
    s.add_argument("--proto", help="comma-separated IP protocols to keep, e.g. 50,51")
    s.add_argument("--ready")
    s.add_argument("--timeout", type=float, default=60)

    s = sub.add_parser("inject")
    s.add_argument("--iface", required=True)
    s.add_argument("--dst-mac", required=True)
    s.add_argument("--src-mac")
    s.add_argument("files", nargs="*")

    s = sub.add_parser("mutate")
    s.add_argument("--seq", type=lambda x: int(x, 0))
    s.add_argument("--flip", type=int, help="flip the low bit of the byte this far from the end")
    s.add_argument("src")
    s.add_argument("dst")

    a = p.parse_args()
    return globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
