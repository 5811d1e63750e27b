#!/usr/bin/python3
"""Host-side probe of the UML client DUT (tests/e2e/uml_dut_guest.sh), run in the DUT's
netns with the TAP addressed as the scenario's server. Plays the part of rmcpsec's
server for RMCP/ASF, without rmcpsec's DUT mode:

  dut_probe.py clear --dut dut.json
      clear UDP 664 must get no answer (the guest's XFRM refuses it); on the clear port
      a Presence Ping (with RMCP ACK) and a System State Request are answered, a
      Capabilities Request (not in the test's clear policy) is not
  dut_probe.py esp --dut dut.json --xfrm-log FILE --spi-in SPI --spi-out SPI
      the CHILD_SA that rmcpsec's IKE endpoint (rmcpsec_ike_peer) negotiated with charon
      in the guest, keys as the tool handed them to `ip xfrm` (FILE): a System State
      Request and a Presence Ping sealed in ESP (UDP 664 -> 664) are answered under ESP
      with the guest's outbound SPI; a replayed packet is not answered

Order, not time, separates "no answer" from "late answer": the guest has one CPU and its
responder serves UDP 664 before the clear port, so once a later request's answer is in,
an answer to an earlier one would be too. Prints one "ok|FAIL NAME" line per check;
exit 0 if all passed.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "uml"))
import ipsec_ref  # noqa: E402

ASF_IANA = 4542
WAIT = 20.0  # seconds for an expected answer (UML under load)
FAILED = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok" if ok else "FAIL", name, (": " + detail) if detail else ""),
          flush=True)
    if not ok:
        FAILED.append(name)


def asf(seq, typ, tag, data=b""):
    return struct.pack("!BBBBIBBBB", 6, 0, seq, 6, ASF_IANA, typ, tag, 0, len(data)) + data


def parse(b):
    """("ack", seq) or ("asf", type, tag, data) or None."""
    if len(b) == 4 and b[:2] == b"\x06\x00" and b[3] == 0x86:
        return ("ack", b[2])
    if len(b) >= 12 and b[:2] == b"\x06\x00" and b[3] == 6:
        iana, typ, tag, _, n = struct.unpack("!IBBBB", b[4:12])
        if iana == ASF_IANA and len(b) == 12 + n:
            return ("asf", typ, tag, b[12:])
    return None


def recv(sock, timeout):
    r, _, _ = select.select([sock], [], [], timeout)
    return sock.recvfrom(4096) if r else (None, None)


def pending(sock):
    """Everything already queued on sock (no waiting)."""
    out = []
    while True:
        data, _ = recv(sock, 0)
        if data is None:
            return out
        out.append(data)


def udp_sock(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    return s


def clear(cfg):
    srv, dut = cfg["servers"][0]["ip"], cfg["ip"]
    port = int(cfg["clear"]["port"])
    s664, sclr = udp_sock(srv, 664), udp_sock(srv, port)
    s664.sendto(asf(0xFF, 0x82, 1), (dut, 664))         # must be refused by XFRM
    sclr.sendto(asf(0xFF, 0x81, 2), (dut, port))        # not in the clear policy
    sclr.sendto(asf(7, 0x80, 3), (dut, port))           # Presence Ping, ACK wanted
    got = []
    while len(got) < 2:
        data, _ = recv(sclr, WAIT)
        if data is None:
            break
        got.append(parse(data))
    check("clear port: RMCP ACK of the Presence Ping", len(got) > 0 and got[0] == ("ack", 7),
          repr(got))
    pong = got[1] if len(got) > 1 else None
    check("clear port: Presence Pong, tag echoed, ASF v1 entity",
          pong is not None and pong[:3] == ("asf", 0x40, 3) and len(pong[3]) == 16 and
          pong[3][:4] == struct.pack("!I", ASF_IANA) and pong[3][8] == 0x01, repr(pong))
    check("clear port: Capabilities Request (not allowed in the clear) unanswered",
          not pending(sclr) and all(g is None or g[:2] != ("asf", 0x41) for g in got))
    check("clear UDP 664: no answer (refused by the guest's XFRM policy)", not pending(s664))
    sclr.sendto(asf(0xFF, 0x82, 4), (dut, port))
    data, _ = recv(sclr, WAIT)
    check("clear port: System State Response S0, watchdog running",
          data is not None and parse(data) == ("asf", 0x42, 4, b"\x00\x01"), repr(data))


def sa_keys(path, spi):
    """(src, dst, key, salt) of the `ip xfrm state add ... spi SPI ... aead` line."""
    for line in open(path):
        w = line.split()
        if "add" in w and "spi" in w and int(w[w.index("spi") + 1], 16) == spi:
            if "aead" not in w:
                raise SystemExit("dut_probe: only AES-GCM CHILD_SAs are probed")
            k = bytes.fromhex(w[w.index("aead") + 2][2:])
            return w[w.index("src") + 1], w[w.index("dst") + 1], k[:-4], k[-4:]
    raise SystemExit("dut_probe: no state with SPI 0x%08x in %s" % (spi, path))


class Esp:
    def __init__(self, cfg, log, spi_in, spi_out):
        # the tool's outbound SA (its spi_out) is what the guest opens; its inbound what
        # the guest seals with
        self.src, self.dst, self.key_o, self.salt_o = sa_keys(log, spi_out)
        _, _, self.key_i, self.salt_i = sa_keys(log, spi_in)
        self.spi_out, self.spi_in, self.seq = spi_out, spi_in, 0
        self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
        self.raw.bind((self.src, 0))

    def seal(self, rmcp):
        self.seq += 1
        u = ipsec_ref.udp(self.src, self.dst, 664, 664, rmcp)
        return ipsec_ref.esp_seal(self.spi_out, self.seq, self.key_o, self.salt_o, 17, u)

    def send(self, esp):
        self.raw.sendto(esp, (self.dst, 0))

    def answers(self, n):
        """Up to n RMCP payloads that came back under ESP: (spi, sport, dport, rmcp)."""
        out = []
        while len(out) < n:
            data, _ = recv(self.raw, WAIT)
            if data is None:
                break
            ihl = (data[0] & 0x0F) * 4
            try:
                spi, _, nh, plain = ipsec_ref.esp_open(data[ihl:], self.key_i, self.salt_i)
            except Exception as e:  # a wrong key or SPI: report, keep reading
                out.append(("undecryptable", repr(e)))
                continue
            sport, dport = struct.unpack("!HH", plain[:4])
            out.append((spi, nh, sport, dport, plain[8:]))
        return out


def esp(cfg, a):
    e = Esp(cfg, a.xfrm_log, int(a.spi_in, 16), int(a.spi_out, 16))
    first = e.seal(asf(9, 0x82, 5))
    e.send(first)
    got = e.answers(2)
    ok_hdr = all(g[0] == e.spi_in and g[1:4] == (17, 664, 664) for g in got if len(g) == 5)
    check("ESP: answers under the guest's outbound SPI, UDP 664 -> 664",
          len(got) == 2 and ok_hdr, repr(got))
    check("ESP: RMCP ACK, then System State Response S0, watchdog running",
          len(got) == 2 and parse(got[0][-1]) == ("ack", 9) and
          parse(got[1][-1]) == ("asf", 0x42, 5, b"\x00\x01"), repr(got))
    e.send(first)                    # a replay: the guest kernel drops it
    e.send(e.seal(asf(0xFF, 0x80, 6)))
    got = e.answers(1)
    pong = parse(got[0][-1]) if got and len(got[0]) == 5 else None
    check("ESP: replayed request unanswered, the next one answered (Pong)",
          pong is not None and pong[:3] == ("asf", 0x40, 6) and not pending(e.raw), repr(got))
    check("ESP: Pong says RMCP security supported (an SA is installed)",
          pong is not None and len(pong[3]) == 16 and pong[3][9] == 0x80, repr(pong))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["clear", "esp"])
    ap.add_argument("--dut", required=True)
    ap.add_argument("--xfrm-log")
    ap.add_argument("--spi-in")
    ap.add_argument("--spi-out")
    a = ap.parse_args()
    with open(a.dut) as f:
        cfg = json.load(f)
    clear(cfg) if a.what == "clear" else esp(cfg, a)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
