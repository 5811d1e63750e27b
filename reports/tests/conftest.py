"""Builders for hand-made frames and pcap files used by the report tests."""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SRV_MAC = bytes.fromhex("020000000101")
CLI_MAC = bytes.fromhex("020000000201")
SRV_IP = bytes([192, 0, 2, 1])
CLI_IP = bytes([192, 0, 2, 101])


def eth(dst, src, ethertype, body):
    return dst + src + struct.pack(">H", ethertype) + body


def ipv4(src, dst, proto, payload):
    total = 20 + len(payload)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, proto, 0, src, dst)
    return hdr + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def rmcp_asf(asf_type, seq=0xFF):
    # RMCP: version 6, reserved, sequence, class ASF; ASF: IANA 4542, type, tag, rsvd, len
    return bytes([6, 0, seq, 6]) + struct.pack(">IBBBB", 4542, asf_type, 0, 0, 0)


def rmcp_ack(seq=1):
    return bytes([6, 0, seq, 0x86])


def esp(spi, seq=1, body=b"\x00" * 24):
    return struct.pack(">II", spi, seq) + body


def ah(spi, next_header, inner, icv_len=16):
    # RFC 4302 §2.2: payload length is the AH length in 32-bit words minus 2.
    words = (12 + icv_len) // 4
    return struct.pack(">BBHII", next_header, words - 2, 0, spi, 1) + b"\x00" * icv_len + inner


def arp_request(sender_mac, sender_ip, target_ip):
    body = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + sender_mac + sender_ip + b"\x00" * 6 + target_ip
    return eth(b"\xff" * 6, sender_mac, 0x0806, body)


def clear_frame(asf_type, to_client=True):
    src, dst = (SRV_IP, CLI_IP) if to_client else (CLI_IP, SRV_IP)
    smac, dmac = (SRV_MAC, CLI_MAC) if to_client else (CLI_MAC, SRV_MAC)
    return eth(dmac, smac, 0x0800, ipv4(src, dst, 17, udp(40000, 623, rmcp_asf(asf_type))))


def esp_frame(spi, to_client=True):
    src, dst = (SRV_IP, CLI_IP) if to_client else (CLI_IP, SRV_IP)
    smac, dmac = (SRV_MAC, CLI_MAC) if to_client else (CLI_MAC, SRV_MAC)
    return eth(dmac, smac, 0x0800, ipv4(src, dst, 50, esp(spi)))


def pcap_bytes(frames, ns=True, endian="<"):
    """frames: [(t_ns, bytes)]"""
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for t, data in frames:
        frac = t % 1000000000 if ns else (t % 1000000000) // 1000
        out += struct.pack(endian + "IIII", t // 1000000000, frac, len(data), len(data)) + data
    return out
