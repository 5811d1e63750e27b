#!/usr/bin/python3
"""Host side of tests/e2e/uml_charon_tap.sh: proves that a charon in the guest answers IKE
over the TAP link. Runs in the test's netns, where the TAP end has 192.0.2.129. Waits for
the guest's "ready" datagram on UDP 6641, sends an IKE_SA_INIT request (RFC 7296 §1.2:
SA with ENCR_AES_GCM_16-128, PRF_HMAC_SHA2_256, group 31; KE with an X25519 public key;
Ni) from port 500 to 192.0.2.130:500, checks the response (same SPIi, responder SPI set,
the proposal chosen, KE of group 31), then says "bye" to the guest's port 665.
"""
import argparse
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GUEST = "192.0.2.130"
PL_SA, PL_KE, PL_NONCE = 33, 34, 40
IKE_SA_INIT = 34
FLAG_INITIATOR, FLAG_RESPONSE = 0x08, 0x20
ENCR, PRF, DH = 1, 2, 4
ENCR_AES_GCM_16, PRF_HMAC_SHA2_256, GROUP_31 = 20, 5, 31


def payload(next_pl, body):
    return struct.pack("!BBH", next_pl, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def sa_init_request(spi_i, pub, nonce):
    ts = (transform(False, ENCR, ENCR_AES_GCM_16, struct.pack("!HH", 0x800E, 128)) +
          transform(False, PRF, PRF_HMAC_SHA2_256) + transform(True, DH, GROUP_31))
    prop_body = struct.pack("!BBBB", 1, 1, 0, 3) + ts  # #1, IKE, no SPI, 3 transforms
    prop = struct.pack("!BBH", 0, 0, 4 + len(prop_body)) + prop_body
    body = (payload(PL_KE, prop) +
            payload(PL_NONCE, struct.pack("!HH", GROUP_31, 0) + pub) +
            payload(0, nonce))
    hdr = struct.pack("!8s8sBBBBII", spi_i, bytes(8), PL_SA, 0x20, IKE_SA_INIT,
                      FLAG_INITIATOR, 0, 28 + len(body))
    return hdr + body


def parse_payloads(msg):
    """{type: body} of the response's top-level payloads; lengths checked."""
    out = {}
    next_pl, off = msg[16], 28
    while next_pl:
        if off + 4 > len(msg):
            raise ValueError("truncated payload header")
        nxt, _, length = struct.unpack("!BBH", msg[off:off + 4])
        if length < 4 or off + length > len(msg):
            raise ValueError("bad payload length %d" % length)
        out[next_pl] = msg[off + 4:off + length]
        next_pl, off = nxt, off + length
    return out


def chosen_transforms(sa_body):
    _, _, plen, _, _, spi_size, n = struct.unpack("!BBHBBBB", sa_body[:8])
    off, found = 8 + spi_size, set()
    for _ in range(n):
        _, _, tlen, ttype, _, tid = struct.unpack("!BBHBBH", sa_body[off:off + 8])
        found.add((ttype, tid))
        off += tlen
    return found


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ready", help="FIFO to say ready on")
    p.add_argument("--boot-timeout", type=float, default=140)
    p.add_argument("--timeout", type=float, default=20)
    a = p.parse_args()
    hello = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hello.bind(("0.0.0.0", 6641))
    ike = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ike.bind(("0.0.0.0", 500))
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    hello.settimeout(a.boot_timeout)
    try:
        msg, peer = hello.recvfrom(100)
    except socket.timeout:
        print("FAIL: the guest never said ready")
        return 1
    ok = True
    spi_i = os.urandom(8)
    pub = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ike.settimeout(a.timeout)
    ike.sendto(sa_init_request(spi_i, pub, os.urandom(32)), (GUEST, 500))
    try:
        resp, _ = ike.recvfrom(65535)
        spi_r, exch, flags = resp[8:16], resp[18], resp[19]
        pls = parse_payloads(resp)
        chosen = chosen_transforms(pls[PL_SA]) if PL_SA in pls else set()
        checks = [
            ("response to our SPIi", resp[:8] == spi_i),
            ("responder SPI set", spi_r != bytes(8)),
            ("IKE_SA_INIT response", exch == IKE_SA_INIT and flags & FLAG_RESPONSE),
            ("AES-GCM-16 chosen", (ENCR, ENCR_AES_GCM_16) in chosen),
            ("PRF_HMAC_SHA2_256 chosen", (PRF, PRF_HMAC_SHA2_256) in chosen),
            ("group 31 chosen", (DH, GROUP_31) in chosen),
            ("KE of group 31, 32 bytes", PL_KE in pls and
             struct.unpack("!H", pls[PL_KE][:2])[0] == GROUP_31 and len(pls[PL_KE]) == 36),
            ("Nr present", PL_NONCE in pls and len(pls[PL_NONCE]) >= 16),
        ]
        for name, good in checks:
            print("%s: %s" % ("ok" if good else "FAIL", name))
            ok &= bool(good)
    except (socket.timeout, ValueError, struct.error) as e:
        print("FAIL: IKE_SA_INIT response: %r" % e)
        ok = False
    hello.sendto(b"bye", (GUEST, 665))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
