#!/usr/bin/python3
"""Independent IKEv2 key derivation (RFC 7296 §2.13-2.18, §2.15) with hashlib/hmac.

Used by test_ikev2_crypto.c to cross-check the C code, since no official
IKEv2 KDF vectors for HMAC-SHA-256 with these inputs exist.
argv: ni nr gir spii spir gir_new psk msg id_body (hex), encr_len, keymat_len.
Prints name=hex lines.
"""
import hashlib
import hmac
import sys


def prf(k, s):
    return hmac.new(k, s, hashlib.sha256).digest()


def prf_plus(k, s, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(k, t + s + bytes([i]))
        out += t
        i += 1
    return out[:n]


def main():
    ni, nr, gir, spii, spir, gnew, psk, msg, idb = (bytes.fromhex(a) for a in sys.argv[1:10])
    encr_len, keymat_len = int(sys.argv[10]), int(sys.argv[11])
    skeyseed = prf(ni + nr, gir)
    km = prf_plus(skeyseed, ni + nr + spii + spir, 3 * 32 + 2 * encr_len)
    sk_d, sk_ei, sk_er = km[:32], km[32:32 + encr_len], km[32 + encr_len:32 + 2 * encr_len]
    sk_pi, sk_pr = km[32 + 2 * encr_len:64 + 2 * encr_len], km[64 + 2 * encr_len:]
    print("skeyseed=" + skeyseed.hex())
    for name, v in (("sk_d", sk_d), ("sk_ei", sk_ei), ("sk_er", sk_er), ("sk_pi", sk_pi),
                    ("sk_pr", sk_pr)):
        print(name + "=" + v.hex())
    print("keymat=" + prf_plus(sk_d, ni + nr, keymat_len).hex())
    print("keymat_pfs=" + prf_plus(sk_d, gnew + ni + nr, keymat_len).hex())
    print("skeyseed_rekey=" + prf(sk_d, gnew + ni + nr).hex())
    auth = prf(prf(psk, b"Key Pad for IKEv2"), msg + nr + prf(sk_pi, idb))
    print("auth_i=" + auth.hex())


main()
