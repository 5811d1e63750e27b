#!/usr/bin/python3
"""Packet tools for the UML guest harness (docs/testing/real-kernel.md). Standard library only, so the
guest (whose root is the host filesystem) runs it with /usr/bin/python3.

  sink    UDP 664 socket: logs every datagram, optionally echoes it, stops at a fence
  fence   sends a plaintext datagram to the sink's fence port and waits for its answer
  send    UDP datagrams from a socket (the kernel applies its XFRM policy)
  sniff   AF_PACKET capture of IPv4 frames on one interface into NNN.ip files
  inject  writes raw IPv4 packets (files) as Ethernet frames on one interface
  mutate  copies a raw IPv4 ESP/AH packet with a new sequence number and/or a flipped bit
  echo    UDP echo on several ports; says "ready" to a peer first, stops at "bye"
  rounds  the standard guest driver (docs/testing/real-kernel.md): h1/h2 pair, then every WORK/rounds/*,
          all in this one process (a Python start costs about a second in UML)

The fence orders things without sleeping: the guest kernel (one CPU) handles frames on a
veth in order, so once the sink sees the fence datagram every packet injected before it
has been delivered or dropped, and once the sniffer sees the fence answer every datagram
the sink echoed before it is on the wire.
"""
import argparse
import ctypes
import glob
import os
import select
import socket
import struct
import subprocess
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


def cmd_echo(a):
    socks = []
    for port in a.ports.split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a.bind, int(port)))
        socks.append(s)
    host, port = a.ready_to.rsplit(":", 1)
    socks[-1].sendto(b"ready", (host, int(port)))
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select(socks, [], [], 1.0)
        for s in r:
            payload, peer = s.recvfrom(65535)
            s.sendto(payload, peer)
            print("echo: %s:%d -> port %d: %r" % (peer[0], peer[1], s.getsockname()[1], payload))
            if payload == b"bye":
                return 0
    print("echo: no bye before the deadline", file=sys.stderr)
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
        ip = mutate(f.read(), a.seq, a.flip)
    if ip is None:
        return 1
    with open(a.dst, "wb") as f:
        f.write(ip)
    return 0


def mutate(packet, seq, flip):
    ip = bytearray(packet)
    ihl = (ip[0] & 0x0F) * 4
    proto = ip[9]
    if proto == 50:
        seq_at = ihl + 4
    elif proto == 51:
        seq_at = ihl + 8
    else:
        print("mutate: protocol %d is neither ESP nor AH" % proto, file=sys.stderr)
        return None
    if seq is not None:
        ip[seq_at:seq_at + 4] = struct.pack("!I", seq)
    if flip is not None:
        # Counted from the end so that it lands in the ciphertext / payload, not in
        # the headers whose layout differs between ESP, AH and the bundle.
        ip[len(ip) - flip] ^= 0x01
    return bytes(ip)


# ---- the round driver -------------------------------------------------------------

H1, H2 = "192.0.2.1", "192.0.2.2"
H1_MAC, H2_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def ip_cmd(*args):
    subprocess.run(("ip",) + args, check=True)


def in_netns(name, fn):
    """Runs fn() with this thread in netns NAME: sockets it makes stay in that netns."""
    here = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
        return fn()
    finally:
        _libc.setns(here, CLONE_NEWNET)
        os.close(here)
        os.close(there)


def make_pair():
    ip_cmd("netns", "add", "h1")
    ip_cmd("netns", "add", "h2")
    ip_cmd("link", "add", "v1", "netns", "h1", "address", H1_MAC, "type", "veth",
           "peer", "name", "v2", "netns", "h2", "address", H2_MAC)
    for ns, dev, addr, peer, peer_mac in (("h1", "v1", H1, H2, H2_MAC),
                                          ("h2", "v2", H2, H1, H1_MAC)):
        ip_cmd("-n", ns, "link", "set", "lo", "up")
        ip_cmd("-n", ns, "addr", "add", addr + "/24", "dev", dev)
        ip_cmd("-n", ns, "link", "set", dev, "up")
        ip_cmd("-n", ns, "neigh", "replace", peer, "lladdr", peer_mac, "dev", dev,
               "nud", "permanent")


def xfrm_batch(ns, lines):
    """One `ip -batch` per namespace: an `ip` start costs about 0.2 s in UML."""
    batch = "".join("xfrm %s\n" % line for line in lines)
    subprocess.run(["ip", "-n", ns, "-batch", "-"], input=batch, text=True, check=True)


def xfrm_lines(path):
    # Each line is the argument list of one `ip -n NS xfrm` command (quotes allowed).
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.strip().startswith("#")]


def xfrm_stat(ns):
    def read():
        with open("/proc/thread-self/net/xfrm_stat") as f:
            return f.read()
    out = in_netns(ns, read)
    return dict((k, int(v)) for k, v in (line.split() for line in out.splitlines()))


def read_lines(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def build_inject(d):
    """inject.list: "FILE [seq=N] [flip=K]" per line, FILE relative to the round folder
    (e.g. ../11-esp/out/sent/001.ip): appended to inject/ as NNN-list.ip."""
    path = os.path.join(d, "inject.list")
    if not os.path.exists(path):
        return
    for n, line in enumerate(read_lines(path), 1):
        words = line.split()
        opts = dict(w.split("=", 1) for w in words[1:])
        with open(os.path.join(d, words[0]), "rb") as f:
            pkt = f.read()
        if opts:
            pkt = mutate(pkt, int(opts["seq"], 0) if "seq" in opts else None,
                         int(opts["flip"]) if "flip" in opts else None)
        with open(os.path.join(d, "inject", "%03d-list.ip" % (500 + n)), "wb") as f:
            f.write(pkt)


class Round:
    def __init__(self, d, timeout):
        self.d = d
        self.out = os.path.join(d, "out")
        self.deadline = time.monotonic() + timeout
        self.sent = self.captured = 0

    def save(self, sub, n, ip):
        os.makedirs(os.path.join(self.out, sub), exist_ok=True)
        with open(os.path.join(self.out, sub, "%03d.ip" % n), "wb") as f:
            f.write(ip)

    def sniffed(self, frame, addr):
        """Returns True once the fence answer came back in."""
        if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
            return False
        ip = frame[14:]
        ip = ip[: struct.unpack("!H", ip[2:4])[0]]
        outgoing = addr[2] == PACKET_OUTGOING
        if is_fence_answer(ip) and not outgoing:
            return True
        if ip[9] in (50, 51):
            if outgoing:
                self.sent += 1
                self.save("sent", self.sent, ip)
            else:
                self.captured += 1
                self.save("captured", self.captured, ip)
        return False

    def run(self):
        t0 = time.monotonic()
        d = self.d
        for sub in ("out", "inject"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        if os.path.exists(os.path.join(d, "h1.xfrm")) or os.path.exists(os.path.join(d, "h2.xfrm")):
            for ns in ("h1", "h2"):
                path = os.path.join(d, ns + ".xfrm")
                lines = xfrm_lines(path) if os.path.exists(path) else []
                xfrm_batch(ns, ["policy flush", "state flush"] + lines)
        if os.path.exists(os.path.join(d, "prepare.sh")):
            subprocess.run(["bash", "./prepare.sh"], cwd=d, check=True)
        t_xfrm = time.monotonic()
        build_inject(d)
        echo = os.path.exists(os.path.join(d, "echo"))

        def h2_sockets():
            data = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            data.bind(("0.0.0.0", 664))
            fence = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            fence.bind(("0.0.0.0", 6640))
            return data, fence

        def h1_sockets():
            sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            sniff.bind(("v1", 0))
            inj = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
            inj.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
            inj.bind(("v1", 0))
            send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            fence = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            return sniff, inj, send, fence

        before = xfrm_stat("h2")
        data, fence_srv = in_netns("h2", h2_sockets)
        sniff, inj, send, fence_cli = in_netns("h1", h1_sockets)
        log = open(os.path.join(self.out, "received.txt"), "w")
        try:
            send_path = os.path.join(d, "send.txt")
            if os.path.exists(send_path):
                for text in read_lines(send_path):
                    send.sendto(text.encode(), (H2, 664))
            eth = mac_bytes(H2_MAC) + mac_bytes(H1_MAC) + struct.pack("!H", ETH_P_IP)
            for path in sorted(glob.glob(os.path.join(d, "inject", "*.ip"))):
                with open(path, "rb") as f:
                    inj.send(eth + f.read())
            fence_cli.sendto(FENCE_MAGIC, (H2, 6640))
            received = self.pump(data, fence_srv, sniff, log, echo)
        finally:
            log.close()
            for s in (data, fence_srv, sniff, inj, send, fence_cli):
                s.close()
        after = xfrm_stat("h2")
        with open(os.path.join(self.out, "stat.delta"), "w") as f:
            for k in after:
                if after[k] != before.get(k, 0):
                    f.write("%s %d\n" % (k, after[k] - before.get(k, 0)))
        for name, stat in (("stat.before", before), ("stat.after", after)):
            with open(os.path.join(self.out, name), "w") as f:
                f.writelines("%s %d\n" % kv for kv in stat.items())
        state = subprocess.run(["ip", "-n", "h2", "-s", "xfrm", "state"], check=True,
                               capture_output=True, text=True).stdout
        with open(os.path.join(self.out, "xfrm_state.txt"), "w") as f:
            f.write(state)
        delta = open(os.path.join(self.out, "stat.delta")).read().split()
        print("round %s: %d received, %d sent, %d captured, delta: %s (%.1f s; xfrm %.1f s)" %
              (os.path.basename(d), received, self.sent, self.captured, " ".join(delta),
               time.monotonic() - t0, t_xfrm - t0))

    def pump(self, data, fence_srv, sniff, log, echo):
        received = 0
        fenced = answered = False
        data.setblocking(False)

        def drain():
            nonlocal received
            while True:
                try:
                    payload, peer = data.recvfrom(65535)
                except BlockingIOError:
                    return
                received += 1
                log.write("%s %d %s\n" % (peer[0], peer[1], payload.hex()))
                if echo:
                    data.sendto(payload, peer)

        while not answered:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("round %s: no fence answer" % self.d)
            r, _, _ = select.select([data, fence_srv, sniff], [], [], left)
            if data in r:
                drain()
            if fence_srv in r and not fenced:
                msg, peer = fence_srv.recvfrom(65535)
                drain()  # everything injected before the fence is in by now
                fence_srv.sendto(msg, peer)
                fenced = True
            if sniff in r:
                frame, addr = sniff.recvfrom(65535)
                answered = self.sniffed(frame, addr)
        return received


def cmd_rounds(a):
    if not a.no_pair:
        make_pair()
    for d in sorted(glob.glob(os.path.join(a.work, "rounds", "*", ""))):
        if a.only and os.path.basename(d.rstrip("/")) != a.only:
            continue
        Round(d.rstrip("/"), a.timeout).run()
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

    s = sub.add_parser("echo")
    s.add_argument("--bind", default="0.0.0.0")
    s.add_argument("--ports", default="664,665")
    s.add_argument("--ready-to", required=True, help="IP:PORT told 'ready' from the last port")
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

    s = sub.add_parser("rounds")
    s.add_argument("work")
    s.add_argument("--timeout", type=float, default=30, help="seconds per round")
    s.add_argument("--no-pair", action="store_true", help="h1/h2 exist already (g_pair)")
    s.add_argument("--only", help="run only the round folder of this name")

    a = p.parse_args()
    return globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
