#!/usr/bin/python3
"""A small reference IPv4 transport-mode encoder/decoder for the UML harness tests:
ESP with AES-GCM-16 (RFC 4303, RFC 4106), ESP with AES-CBC + HMAC-SHA-256-128 (RFC 3602,
RFC 4868), AH with HMAC-SHA-256-128 (RFC 4302, RFC 4868) and the AH+ESP bundle (AH
outside, GCM inside). It stands in for rmcpsec's own encoder when the
harness is tested, so that the guest kernel checks packets it did not produce itself.
Needs python3-cryptography (a dependency of python3-scapy).

  encode --suite esp|cbc|ah|ahesp ... --seq N --payload TEXT --out FILE
  encode-many --suite ...                   stdin lines "SEQ PAYLOAD OUTFILE [FLIP]"
  decode --suite esp|cbc|ah|ahesp ... FILE...   prints "SEQ SPORT DPORT HEXPAYLOAD" per file
"""
import argparse
import hashlib
import hmac
import ipaddress
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PROTO_UDP, PROTO_ESP, PROTO_AH = 17, 50, 51
ICV_LEN = 16


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_header(src, dst, proto, payload_len, ident=1, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, 0, ttl, proto, 0,
                    ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    pseudo = (ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed +
              struct.pack("!BBH", 0, PROTO_UDP, length))
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


def esp_seal(spi, seq, key, salt, next_header, payload):
    """RFC 4303 §2, RFC 4106 §3: 8-byte IV (here: the sequence number), AAD = SPI|seq."""
    pad_len = (4 - (len(payload) + 2) % 4) % 4
    plain = payload + bytes(range(1, pad_len + 1)) + bytes([pad_len, next_header])
    iv = struct.pack("!Q", seq)
    head = struct.pack("!II", spi, seq)
    return head + iv + AESGCM(key).encrypt(salt + iv, plain, head)


def esp_open(esp, key, salt):
    spi, seq = struct.unpack("!II", esp[:8])
    iv = esp[8:16]
    plain = AESGCM(key).decrypt(salt + iv, esp[16:], esp[:8])
    pad_len, nh = plain[-2], plain[-1]
    return spi, seq, nh, plain[:-2 - pad_len]


def esp_cbc_seal(spi, seq, key, auth_key, next_header, payload):
    """RFC 3602 §3 with RFC 4868 §2.8 ICV over SPI|seq|IV|ciphertext. The IV is derived
    from the sequence number so that test runs repeat; a real sender draws it at random."""
    pad_len = (16 - (len(payload) + 2) % 16) % 16
    plain = payload + bytes(range(1, pad_len + 1)) + bytes([pad_len, next_header])
    iv = hashlib.sha256(struct.pack("!Q", seq)).digest()[:16]
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    body = struct.pack("!II", spi, seq) + iv + enc.update(plain) + enc.finalize()
    return body + hmac.new(auth_key, body, hashlib.sha256).digest()[:ICV_LEN]


def esp_cbc_open(esp, key, auth_key):
    body, icv = esp[:-ICV_LEN], esp[-ICV_LEN:]
    if not hmac.compare_digest(icv, hmac.new(auth_key, body, hashlib.sha256).digest()[:ICV_LEN]):
        raise ValueError("ESP ICV mismatch")
    spi, seq = struct.unpack("!II", body[:8])
    dec = Cipher(algorithms.AES(key), modes.CBC(body[8:24])).decryptor()
    plain = dec.update(body[24:]) + dec.finalize()
    pad_len, nh = plain[-2], plain[-1]
    return spi, seq, nh, plain[:-2 - pad_len]


def ah_icv(key, ip_hdr, ah_zero_icv, payload):
    """RFC 4302 §3.3.3.1: TOS, flags+fragment offset, TTL and checksum count as zero."""
    h = bytearray(ip_hdr)
    h[1] = 0
    h[6:8] = b"\0\0"
    h[8] = 0
    h[10:12] = b"\0\0"
    return hmac.new(key, bytes(h) + ah_zero_icv + payload, hashlib.sha256).digest()[:ICV_LEN]


def ah_seal(src, dst, spi, seq, key, next_header, payload, align=8):
    """Linux pads IPv4 AH to 8 bytes by default (ICV + 4 zero bytes, under the ICV)."""
    ah_len = 12 + ICV_LEN
    ah_len += (-ah_len) % align
    ip = ip_header(src, dst, PROTO_AH, ah_len + len(payload))
    head = struct.pack("!BBHII", next_header, ah_len // 4 - 2, 0, spi, seq)
    icv = ah_icv(key, ip, head + bytes(ah_len - 12), payload)
    return ip + head + icv + bytes(ah_len - 12 - ICV_LEN) + payload


def ah_open(pkt, key):
    ihl = (pkt[0] & 0x0F) * 4
    ip, rest = pkt[:ihl], pkt[ihl:]
    nh, plen, _, spi, seq = struct.unpack("!BBHII", rest[:12])
    ah_len = (plen + 2) * 4
    icv = rest[12:12 + ICV_LEN]
    # Only the ICV counts as zero; the padding after it is covered as sent.
    zero = rest[:12] + bytes(ICV_LEN) + rest[12 + ICV_LEN:ah_len]
    if not hmac.compare_digest(icv, ah_icv(key, ip, zero, rest[ah_len:])):
        raise ValueError("AH ICV mismatch")
    return spi, seq, nh, rest[ah_len:]


def encode_many(a):
    """stdin: "SEQ PAYLOAD OUTFILE [FLIP]" per line; one process for many packets."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        a.seq, a.payload, a.out = int(words[0]), words[1], words[2]
        a.flip = int(words[3]) if len(words) > 3 else None
        encode(a)
    return 0


def encode(a):
    payload = udp(a.src, a.dst, a.sport, a.dport, a.payload.encode())
    if a.suite in ("esp", "ahesp"):
        payload = esp_seal(a.spi_esp, a.seq, a.key_esp[:-4], a.key_esp[-4:], PROTO_UDP, payload)
        nh = PROTO_ESP
    elif a.suite == "cbc":
        payload = esp_cbc_seal(a.spi_esp, a.seq, a.key_esp, a.key_esp_auth, PROTO_UDP, payload)
        nh = PROTO_ESP
    else:
        nh = PROTO_UDP
    if a.suite in ("ah", "ahesp"):
        pkt = ah_seal(a.src, a.dst, a.spi_ah, a.seq, a.key_ah, nh, payload)
    else:
        pkt = ip_header(a.src, a.dst, nh, len(payload)) + payload
    pkt = bytearray(pkt)
    if a.flip is not None:
        pkt[len(pkt) - a.flip] ^= 0x01
    with open(a.out, "wb") as f:
        f.write(pkt)
    return 0


def decode(a):
    """One line per file: "SEQ SPORT DPORT HEXPAYLOAD", or "ERROR reason"."""
    rc = 0
    for path in a.files:
        try:
            print(decode_one(a, path))
        except (ValueError, struct.error) as e:
            print("ERROR %s" % e)
            rc = 1
        except Exception as e:  # cryptography's InvalidTag carries no message
            print("ERROR %s" % type(e).__name__)
            rc = 1
    return rc


def decode_one(a, path):
    with open(path, "rb") as f:
        pkt = f.read()
    ihl = (pkt[0] & 0x0F) * 4
    proto, rest, seq = pkt[9], pkt[ihl:], None
    if a.suite in ("ah", "ahesp"):
        if proto != PROTO_AH:
            raise ValueError("expected AH, got protocol %d" % proto)
        spi, seq, proto, rest = ah_open(pkt, a.key_ah)
        if spi != a.spi_ah:
            raise ValueError("AH SPI %#x" % spi)
    if a.suite in ("esp", "ahesp", "cbc"):
        if proto != PROTO_ESP:
            raise ValueError("expected ESP, got protocol %d" % proto)
        if a.suite == "cbc":
            spi, seq, proto, rest = esp_cbc_open(rest, a.key_esp, a.key_esp_auth)
        else:
            spi, seq, proto, rest = esp_open(rest, a.key_esp[:-4], a.key_esp[-4:])
        if spi != a.spi_esp:
            raise ValueError("ESP SPI %#x" % spi)
    if proto != PROTO_UDP:
        raise ValueError("inner protocol %d" % proto)
    sport, dport = struct.unpack("!HH", rest[:4])
    return "%d %d %d %s" % (seq, sport, dport, rest[8:].hex())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--suite", choices=["esp", "cbc", "ah", "ahesp"], required=True)
    p.add_argument("--spi-esp", type=lambda x: int(x, 0), default=0)
    p.add_argument("--spi-ah", type=lambda x: int(x, 0), default=0)
    p.add_argument("--key-esp", type=bytes.fromhex,
                   help="GCM: AES key then 4-byte salt; CBC: AES key (hex)")
    p.add_argument("--key-esp-auth", type=bytes.fromhex, help="CBC: HMAC-SHA-256 key, hex")
    p.add_argument("--key-ah", type=bytes.fromhex, help="HMAC-SHA-256 key, hex")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--src", default="192.0.2.1")
    e.add_argument("--dst", default="192.0.2.2")
    e.add_argument("--sport", type=int, default=40664)
    e.add_argument("--dport", type=int, default=664)
    e.add_argument("--seq", type=int, required=True)
    e.add_argument("--payload", required=True)
    e.add_argument("--flip", type=int, help="flip the low bit of the byte this far from the end")
    e.add_argument("--out", required=True)
    m = sub.add_parser("encode-many", help="like encode, packets from stdin lines")
    m.add_argument("--src", default="192.0.2.1")
    m.add_argument("--dst", default="192.0.2.2")
    m.add_argument("--sport", type=int, default=40664)
    m.add_argument("--dport", type=int, default=664)
    d = sub.add_parser("decode")
    d.add_argument("files", nargs="+")
    a = p.parse_args()
    return {"encode": encode, "encode-many": encode_many, "decode": decode}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
