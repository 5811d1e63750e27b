#!/usr/bin/python3
"""Host end of the live link (tests/e2e/uml_tap_link.sh): raw Ethernet frames on the TAP
device, no host IP stack involved. Run inside the test's own netns:

  ip netns exec NS tap_peer.py --iface TAP --ready FIFO [--esp-out SPI:KEY --esp-in SPI:KEY]

Waits for the guest's "ready" datagram (which teaches it the guest's MAC), then checks
  1. an ICMP echo request written on the TAP gets its echo reply;
  2. a clear UDP datagram to guest port 665 comes back echoed;
  3. (with --esp-*) an ESP-protected UDP 664 datagram (tests/uml/ipsec_ref.py) is
     decrypted by the guest kernel, echoed, and its ESP answer decodes here;
and finally says "bye" to port 665. Exit status 0 only if every check passed.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipsec_ref  # noqa: E402

HOST_MAC = bytes.fromhex("020000000081")
HOST_IP, GUEST_IP = "192.0.2.129", "192.0.2.130"
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800


class Link:
    def __init__(self, iface, timeout):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((iface, 0))
        self.timeout = timeout
        self.guest_mac = None

    def send_ip(self, ip):
        self.s.send(self.guest_mac + HOST_MAC + struct.pack("!H", ETH_P_IP) + ip)

    def recv_ip(self, want):
        """Next IPv4 packet from the guest for which want(ip) holds, or None on timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                continue
            frame, addr = self.s.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING or len(frame) < 34:
                continue
            if struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
                continue
            ip = frame[14:]
            ip = ip[: struct.unpack("!H", ip[2:4])[0]]
            if want(ip):
                if self.guest_mac is None:
                    self.guest_mac = frame[6:12]
                return ip


def udp_of(ip):
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return None
    sport, dport, length = struct.unpack("!HHH", ip[ihl:ihl + 6])
    return sport, dport, ip[ihl + 8:ihl + length]


def clear_udp(sport, dport, payload):
    body = ipsec_ref.udp(HOST_IP, GUEST_IP, sport, dport, payload)
    return ipsec_ref.ip_header(HOST_IP, GUEST_IP, 17, len(body)) + body


def icmp_echo(ident, seq, payload):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    body = body[:2] + struct.pack("!H", ipsec_ref.csum(body)) + body[4:]
    return ipsec_ref.ip_header(HOST_IP, GUEST_IP, 1, len(body)) + body


def check(name, ok, detail=""):
    print("%s: %s %s" % ("ok" if ok else "FAIL", name, detail))
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iface", required=True)
    p.add_argument("--ready")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--boot-timeout", type=float, default=60)
    p.add_argument("--esp-out", help="SPI:KEYHEX of the host-to-guest SA (key then salt)")
    p.add_argument("--esp-in", help="SPI:KEYHEX of the guest-to-host SA")
    a = p.parse_args()

    link = Link(a.iface, a.boot_timeout)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    hello = link.recv_ip(lambda ip: (udp_of(ip) or (0, 0, b""))[1:] == (6641, b"ready"))
    if not check("guest said ready", hello is not None):
        return 1
    link.timeout = a.timeout
    ok = True

    t0 = time.monotonic()
    link.send_ip(icmp_echo(0x4242, 1, b"rmcpsec-tap-ping"))
    reply = link.recv_ip(lambda ip: ip[9] == 1 and ip[20] == 0 and ip[24:26] == b"\x42\x42")
    ok &= check("ICMP echo reply", reply is not None and reply.endswith(b"rmcpsec-tap-ping"),
                "%.1f ms" % ((time.monotonic() - t0) * 1000))

    link.send_ip(clear_udp(40665, 665, b"clear-hello"))
    reply = link.recv_ip(lambda ip: (udp_of(ip) or (0,))[0] == 665)
    ok &= check("clear UDP 665 echoed", reply is not None and udp_of(reply)[2] == b"clear-hello")

    if a.esp_out and a.esp_in:
        spi_out, key_out = a.esp_out.split(":")
        spi_in, key_in = a.esp_in.split(":")
        key_out, key_in = bytes.fromhex(key_out), bytes.fromhex(key_in)
        payload = b"esp-over-tap"
        body = ipsec_ref.udp(HOST_IP, GUEST_IP, 40664, 664, payload)
        esp = ipsec_ref.esp_seal(int(spi_out, 0), 1, key_out[:-4], key_out[-4:], 17, body)
        link.send_ip(ipsec_ref.ip_header(HOST_IP, GUEST_IP, 50, len(esp)) + esp)
        reply = link.recv_ip(lambda ip: ip[9] == 50)
        got = None
        if reply is not None:
            try:
                spi, seq, nh, inner = ipsec_ref.esp_open(reply[20:], key_in[:-4], key_in[-4:])
                got = (spi, seq, nh, inner[8:])
            except Exception as e:  # a wrong ICV is a failed check, not a crash
                got = repr(e)
        ok &= check("ESP UDP 664 echoed under the guest's SA",
                    got == (int(spi_in, 0), 1, 17, payload), repr(got))

    link.send_ip(clear_udp(40665, 665, b"bye"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
