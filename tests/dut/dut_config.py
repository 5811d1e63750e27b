#!/usr/bin/python3
"""What a foreign client DUT needs to know about its place in a scenario, as rmcpsec's
server sees it: the client's name, IPv4 and MAC address, its IKE pre-shared key, the
servers, the suite and the clear-port policy. A stand-in for `rmcpsec dut-config
SCENARIO --node NAME` (same JSON fields); tests/e2e/uml_dut_guest.sh cross-checks the
key derivation against sim/rng.c.

  dut_config.py SCENARIO.yaml --node NAME [--seed N]

Derivations re-implemented from sim/scenario.c (load_node defaults), sim/run.c
(run_seed, derive_psk) and sim/rng.c (xoshiro256** seeded through splitmix64).
"""
import argparse
import json
import sys

import yaml

M64 = (1 << 64) - 1
CLEAR_MSGS = ["presence_ping", "capabilities_request", "system_state_request", "reset",
              "power_up", "power_down", "power_cycle"]


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    """sim/rng.c: xoshiro256** 1.0."""

    def __init__(self, seed):
        x, self.s = seed & M64, []
        for _ in range(4):
            x, z = splitmix64(x)
            self.s.append(z)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result


def derive_psk(seed, idx):
    """sim/run.c derive_psk: 32 bytes, the low byte of each draw."""
    r = Rng(seed ^ (0x50534B << 40) ^ idx)
    return bytes(r.next() & 0xFF for _ in range(32))


def mac_str(m):
    return ":".join("%02x" % b for b in m)


def default_node(role, index):
    """sim/scenario.c load_node: locally administered MACs, TEST-NET-1 addresses."""
    mac = bytes([0x02, 0, 0, 0, 0x01 if role == "server" else 0x02, (index + 1) & 0xFF])
    ip = "192.0.2.%d" % ((1 if role == "server" else 101) + index)
    return mac_str(mac), ip


def nodes_of(sc):
    """Servers first, then clients: the node index derive_psk takes."""
    out = []
    for role, key in (("server", "servers"), ("client", "clients")):
        for i, n in enumerate(sc.get(key) or []):
            mac, ip = default_node(role, i)
            out.append({"role": role, "name": str(n["name"]), "ip": str(n.get("ip", ip)),
                        "mac": str(n.get("mac", mac)).lower(), "ha": n.get("role"),
                        "commit": str(n.get("commit", "handshake"))})
    return out


def as_int(v):
    return v if isinstance(v, int) else int(str(v), 0)


def security_of(sc):
    sec = sc.get("security")
    if sec is None:  # no security section: no SA at all, every request in the clear
        return {"suite": "none", "key_exchange": "none",
                "clear": {"allowed": True, "port": 623, "messages": CLEAR_MSGS}}
    clear = sec.get("clear") or {}
    return {"suite": str(sec["suite"]), "key_exchange": str(sec.get("key_exchange", "provisioned")),
            "clear": {"allowed": bool(clear.get("allowed", False)),
                      "port": int(clear.get("port", 623)),
                      "messages": [str(m) for m in clear.get("messages", CLEAR_MSGS)]}}


def dut_config(sc, node, seed=None):
    seed = as_int(seed if seed is not None else sc.get("seed", 1))
    nodes = nodes_of(sc)
    idx = next((i for i, n in enumerate(nodes) if n["name"] == node and n["role"] == "client"),
               None)
    if idx is None:
        raise KeyError("no client '%s' in the scenario" % node)
    me = nodes[idx]
    servers = [{"name": n["name"], "ip": n["ip"], "mac": n["mac"]}
               for n in nodes if n["role"] == "server"]
    cfg = {"name": me["name"], "ip": me["ip"], "mac": me["mac"], "index": idx, "seed": seed,
           "commit": me["commit"], "servers": servers}
    cfg.update(security_of(sc))
    cfg["psk_hex"] = derive_psk(seed, idx).hex() if cfg["key_exchange"] == "ike" else None
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--node", required=True)
    ap.add_argument("--seed")
    a = ap.parse_args()
    with open(a.scenario) as f:
        sc = yaml.safe_load(f)
    try:
        print(json.dumps(dut_config(sc, a.node, a.seed)))
    except KeyError as e:
        print("dut_config: %s" % e.args[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
