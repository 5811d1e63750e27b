#!/usr/bin/python3
"""Independent check of rmcpsec's ESP/AH packets with scapy's SecurityAssociation.

    scapy_ipsec.py verify DIR   open DIR/cases.jsonl packets; exit 0 if all verify
    scapy_ipsec.py make DIR     seal each case's plaintext; write DIR/py2c.txt

cases.jsonl: one JSON object per line, written by the C test:
  {"name": str, "plain": hex IPv4 packet, "packet": hex, what rmcpsec sealed,
   "layers": [outermost first: {"proto": "AH"|"ESP", "suite": "gcm"|"cbc"|"ah",
              "spi": int, "enc_key": hex, "salt": hex, "auth_key": hex,
              "esn": bool, "seq": 64-bit sequence number of this packet}]}

scapy (2.5) leaves the ESN high half out of the ESP HMAC, so for AES-CBC +
HMAC with ESN the ICV is checked (and made) here with hmac, per RFC 4303
§2.2.1, and scapy only decrypts. Every case is also checked to FAIL after a
bit flip, so a verifier that accepts anything cannot pass.
"""
import contextlib
import hashlib
import hmac
import json
import os
import socket
import sys

from scapy.layers.inet import IP
from scapy.layers.ipsec import AH, ESP, SecurityAssociation
from scapy.packet import bind_layers, split_layers


def make_sa(layer, auth=True):
    seq = layer["seq"]
    kw = dict(seq_num=seq & 0xFFFFFFFF, esn_en=layer["esn"], esn=seq >> 32)
    if layer["suite"] == "ah":
        return SecurityAssociation(AH, spi=layer["spi"], auth_algo="SHA2-256-128",
                                   auth_key=bytes.fromhex(layer["auth_key"]), **kw)
    key = bytes.fromhex(layer["enc_key"])
    if layer["suite"] == "gcm":
        return SecurityAssociation(ESP, spi=layer["spi"], crypt_algo="AES-GCM",
                                   crypt_key=key + bytes.fromhex(layer["salt"]), **kw)
    return SecurityAssociation(ESP, spi=layer["spi"], crypt_algo="AES-CBC", crypt_key=key,
                               auth_algo="SHA2-256-128" if auth else None, auth_key=bytes.fromhex(layer["auth_key"]),
                               **kw)


def manual_icv(layer):
    return layer["suite"] == "cbc" and layer["esn"]


def cbc_esn_icv(layer, esp_bytes):
    mac = hmac.new(bytes.fromhex(layer["auth_key"]), esp_bytes, hashlib.sha256)
    mac.update((layer["seq"] >> 32).to_bytes(4, "big"))
    return mac.digest()[:16]


def normalise(pkt):
    """Bytes of pkt with IPv4 total length and checksum recomputed."""
    pkt = pkt.copy()
    del pkt[IP].len
    del pkt[IP].chksum
    return bytes(pkt)


def open_layer(layer, pkt):
    sa = make_sa(layer)
    kw = dict(esn_en=layer["esn"], esn=layer["seq"] >> 32)
    if manual_icv(layer):
        raw = bytes(pkt[ESP])
        if not hmac.compare_digest(cbc_esn_icv(layer, raw[:-16]), raw[-16:]):
            raise ValueError("bad ICV (CBC+HMAC, ESN)")
        return sa.decrypt(pkt, verify=False, **kw)
    return sa.decrypt(pkt, **kw)


def open_case(case, packet):
    pkt = IP(packet)
    for layer in case["layers"]:
        pkt = IP(normalise(open_layer(layer, pkt)))
    return bytes(pkt)


def verify(d):
    bad = 0
    with open(os.path.join(d, "cases.jsonl")) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    for case in cases:
        packet = bytes.fromhex(case["packet"])
        try:
            ok = open_case(case, packet) == bytes.fromhex(case["plain"])
        except Exception as e:  # scapy raises several kinds on a bad ICV
            print(f"{case['name']}: {type(e).__name__}: {e}")
            ok = False
        flipped = bytearray(packet)
        flipped[-1] ^= 1
        try:
            rejected = open_case(case, bytes(flipped)) != bytes.fromhex(case["plain"])
        except Exception:
            rejected = True
        print(f"{case['name']}: {'ok' if ok else 'FAILED'}, bit flip "
              f"{'rejected' if rejected else 'ACCEPTED'}")
        bad += (not ok) + (not rejected)
    print(f"{len(cases)} cases, {bad} failures")
    return 1 if bad or not cases else 0


@contextlib.contextmanager
def esp_undissected():
    """scapy's AuthAlgo.sign looks for an ESP layer before an AH one, so AH
    over a dissected ESP would sign the ESP part and leave the AH ICV zero.
    Unbinding ESP from IP while sealing AH keeps the ESP bytes opaque."""
    split_layers(IP, ESP, proto=socket.IPPROTO_ESP)
    try:
        yield
    finally:
        bind_layers(IP, ESP, proto=socket.IPPROTO_ESP)


def seal_layer(layer, pkt):
    if layer["suite"] == "ah":
        with esp_undissected():
            return make_sa(layer).encrypt(IP(bytes(pkt)))
    sa = make_sa(layer, auth=not manual_icv(layer))
    if not manual_icv(layer):
        return sa.encrypt(pkt)
    out = sa.encrypt(pkt)  # no auth_algo: ESP without ICV, then ours appended
    esp = out[ESP]
    esp.data = esp.data + cbc_esn_icv(layer, bytes(esp))
    return IP(normalise(out))


def make(d):
    with open(os.path.join(d, "cases.jsonl")) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(d, "py2c.txt"), "w") as out:
        for case in cases:
            pkt = IP(bytes.fromhex(case["plain"]))
            for layer in reversed(case["layers"]):
                pkt = IP(normalise(seal_layer(layer, pkt)))
            out.write(f"{case['name']} {bytes(pkt).hex()}\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("verify", "make"):
        print(__doc__)
        sys.exit(2)
    sys.exit(verify(sys.argv[2]) if sys.argv[1] == "verify" else make(sys.argv[2]))
