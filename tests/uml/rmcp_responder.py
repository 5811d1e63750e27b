#!/usr/bin/python3
"""Guest side of the UML client DUT (docs/testing/real-kernel.md): a small RMCP/ASF responder on the
secure port 664 (reached only under IPsec: the guest's XFRM policies refuse clear UDP 664)
and on the clear port, and the guest's state for the host's adapter.

  rmcp_responder.py --config dut.json --state FILE --req FILE --stop FILE --ready FILE
                    [--log FILE] [--timeout SEC] [--period SEC]

Answers (DSP0136 §3.2): Presence Ping -> Pong, Capabilities Request -> Capabilities
Response (no remote-control command supported), System State Request -> S0, watchdog
running (the guest's OS is up). An RMCP ACK precedes each answer when the request asks
for one (sequence != 255). Commands (Reset, Power-Up/Down, Power Cycle) are not executed
and not acknowledged; commit messages (rmcpsec's IANA 32473) are counted and ignored: the
guest has no NVRAM and no commit handshake. On the clear port only the message types that
the configuration's clear policy lists are answered.

State: FILE is rewritten (atomically) every --period seconds and whenever --req holds a
token not served yet; it carries that token as "req". "sa" names the newest inbound and
outbound IPsec SA the kernel holds (`ip -s xfrm state`). Stops when --stop exists or
after --timeout seconds.
"""
import argparse
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time

ASF_IANA, COMMIT_IANA = 4542, 32473
PING, CAPS_REQ, STATE_REQ = 0x80, 0x81, 0x82
PONG, CAPS_RESP, STATE_RESP = 0x40, 0x41, 0x42
COMMANDS = (0x10, 0x11, 0x12, 0x13)
CLEAR_NAMES = {"presence_ping": PING, "capabilities_request": CAPS_REQ,
               "system_state_request": STATE_REQ, "reset": 0x10, "power_up": 0x11,
               "power_down": 0x12, "power_cycle": 0x13}
SECURE_PORT = 664


def rmcp_decode(b):
    """(seq, is_ack, iana, type, tag, data) or None; DSP0136 §3.2.2."""
    if len(b) < 4 or b[0] != 0x06 or b[1] != 0:
        return None
    seq, cls = b[2], b[3]
    if cls & 0x80:
        return (seq, True, 0, 0, 0, b"") if len(b) == 4 and (cls & 0x7F) == 6 else None
    if cls != 6 or len(b) < 12 or b[10] != 0 or len(b) != 12 + b[11]:
        return None
    iana, typ, tag = struct.unpack("!IBB", b[4:10])
    return seq, False, iana, typ, tag, b[12:]


def asf(typ, tag, data):
    return struct.pack("!BBBBIBBBB", 6, 0, 0xFF, 6, ASF_IANA, typ, tag, 0, len(data)) + data


def ack(seq):
    return bytes([6, 0, seq, 0x86])


class Responder:
    def __init__(self, cfg, log):
        self.cfg, self.log = cfg, log
        clear = cfg.get("clear") or {}
        self.clear_port = int(clear.get("port", 623))
        self.clear_ok = set()
        if clear.get("allowed"):
            self.clear_ok = {CLEAR_NAMES[m] for m in clear.get("messages", []) if m in CLEAR_NAMES}
        self.sa_up = False
        self.count = {"secure_rx": 0, "clear_rx": 0, "clear_refused": 0, "answered": 0,
                      "commands_refused": 0, "commit_ignored": 0, "malformed": 0}

    def answer(self, req, secure):
        """The datagrams to send back for one request (possibly none)."""
        m = rmcp_decode(req)
        if m is None:
            self.count["malformed"] += 1
            return []
        seq, is_ack, iana, typ, tag, _ = m
        if is_ack:
            return []
        if iana == COMMIT_IANA:
            self.count["commit_ignored"] += 1
            return []
        if iana != ASF_IANA:
            self.count["malformed"] += 1
            return []
        if not secure and typ not in self.clear_ok:
            self.count["clear_refused"] += 1
            return []
        if typ in COMMANDS:
            self.count["commands_refused"] += 1
            self.log("refused command 0x%02x (%s)" % (typ, "secure" if secure else "clear"))
            return []
        if typ == PING:
            body = struct.pack("!IIBB6x", ASF_IANA, 0, 0x01, 0x80 if self.sa_up else 0)
            rsp = asf(PONG, tag, body)
        elif typ == CAPS_REQ:
            rsp = asf(CAPS_RESP, tag, struct.pack("!IIHBIx", ASF_IANA, 0, 0, 0, 0))
        elif typ == STATE_REQ:
            rsp = asf(STATE_RESP, tag, bytes([0x00, 0x01]))  # S0, watchdog running
        else:
            self.count["malformed"] += 1
            return []
        self.count["answered"] += 1
        return ([ack(seq)] if seq != 0xFF else []) + [rsp]


STATE_RE = re.compile(r"^src (\S+) dst (\S+)$")
SPI_RE = re.compile(r"proto (esp|ah) spi (0x[0-9a-f]+)")
ADD_RE = re.compile(r"add (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def xfrm_states():
    """[(src, dst, proto, spi, added)] of keyed states (larval ALLOCSPI ones have no key)."""
    out = subprocess.run(["ip", "-s", "xfrm", "state"], capture_output=True, text=True).stdout
    states, cur = [], None
    for line in out.splitlines():
        m = STATE_RE.match(line)
        if m:
            cur = {"src": m.group(1), "dst": m.group(2), "keyed": False, "added": ""}
            states.append(cur)
            continue
        if cur is None:
            continue
        s = line.strip()
        m = SPI_RE.search(s)
        if m:
            cur["proto"], cur["spi"] = m.group(1), "0x%08x" % int(m.group(2), 16)
        if s.startswith(("aead ", "enc ", "auth ", "auth-trunc ")):
            cur["keyed"] = True
        m = ADD_RE.search(s)
        if m:
            cur["added"] = m.group(1)
    return [s for s in states if s["keyed"] and "spi" in s]


class SaTracker:
    """Newest SA per direction: first seen by this process, then added time, then order."""

    def __init__(self, me):
        self.me, self.seen, self.n = me, {}, 0

    def update(self, states):
        for i, s in enumerate(states):
            key = (s["dst"], s["spi"], s["proto"])
            if key not in self.seen:
                self.n += 1
                self.seen[key] = self.n
        live = {(s["dst"], s["spi"], s["proto"]) for s in states}
        self.seen = {k: v for k, v in self.seen.items() if k in live}

        def newest(pick):
            c = [(self.seen[(s["dst"], s["spi"], s["proto"])], s["added"], i, s)
                 for i, s in enumerate(states) if pick(s)]
            return max(c, key=lambda t: t[:3])[3] if c else None

        sin = newest(lambda s: s["dst"] == self.me)
        sout = newest(lambda s: s["src"] == self.me)
        if not sin or not sout:
            return None
        return {"spi_in": sin["spi"], "spi_out": sout["spi"], "proto": sin["proto"]}


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def read_token(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for opt in ("--config", "--state", "--req", "--stop", "--ready"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--log", default=None)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--period", type=float, default=5)
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    logf = open(a.log, "a") if a.log else sys.stderr

    def log(msg):
        print("%.3f %s" % (time.monotonic(), msg), file=logf, flush=True)

    r = Responder(cfg, log)
    me = cfg["ip"]
    socks = {}
    for port in sorted({SECURE_PORT, r.clear_port}):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((me, port))
        socks[s] = port
    tracker = SaTracker(me)
    served, started = None, time.monotonic()

    def snapshot(token):
        sa = tracker.update(xfrm_states())
        r.sa_up = sa is not None
        write_atomic(a.state, json.dumps({"power": "os_up", "sa": sa, "nvram": False,
                                          "req": token, "counters": r.count}) + "\n")

    snapshot(None)
    write_atomic(a.ready, "ready\n")
    log("ready on %s ports %s" % (me, sorted(socks.values())))
    next_snap = time.monotonic() + a.period
    while not os.path.exists(a.stop) and time.monotonic() - started < a.timeout:
        ready, _, _ = select.select(list(socks), [], [], 0.2)
        # 664 first: its answer leaves before the clear port's (the tests' ordering fence)
        for s in sorted(ready, key=lambda s: socks[s] != SECURE_PORT):
            data, peer = s.recvfrom(2048)
            secure = socks[s] == SECURE_PORT
            r.count["secure_rx" if secure else "clear_rx"] += 1
            for out in r.answer(data, secure):
                try:
                    s.sendto(out, peer)
                except OSError as e:  # e.g. EPERM from an XFRM block policy
                    log("send to %s failed: %s" % (peer, e))
        token = read_token(a.req)
        if token and token != served:
            served = token
            snapshot(token)
            next_snap = time.monotonic() + a.period
        elif time.monotonic() >= next_snap:
            snapshot(served)
            next_snap = time.monotonic() + a.period
    snapshot(served)
    log("stopped: %s" % json.dumps(r.count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
