#!/usr/bin/python3
"""The standard UML round driver (`pkt.py rounds WORK`, docs/testing/real-kernel.md) with fewer execs:
each round's `ip xfrm` flushes and SA/policy lines go to one `ip -n NS -batch -` per
namespace, and /proc/net/xfrm_stat is read in-process (setns) instead of through
`ip netns exec cat`. Under UML every exec costs 0.3-0.9 s on a busy host, about ten per
round in the plain driver; with a dozen rounds that alone is over a minute.

Runs inside the guest: /usr/bin/python3 uml_rounds_batched.py UMLSRC WORK [TIMEOUT]
(UMLSRC: tests/uml, where pkt.py lives). Rounds, files and results are exactly those of
pkt.py's Round: this only replaces three of its module-level helpers.
"""
import argparse
import shlex
import subprocess
import sys
import time

sys.path.insert(0, sys.argv[1])
import pkt  # noqa: E402

_queued = {}  # netns -> `ip -batch` lines not yet applied
_plain_ip_cmd = pkt.ip_cmd


def ip_cmd(*args):
    if len(args) > 2 and args[0] == "-n" and args[2] == "xfrm":
        _queued.setdefault(args[1], []).append(" ".join(args[2:]))
    else:
        _plain_ip_cmd(*args)


def xfrm_apply(ns, path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                # batch lines are split on blanks; algorithm names need no quotes there
                _queued.setdefault(ns, []).append("xfrm " + " ".join(shlex.split(line)))


def flush_queued():
    for ns, lines in list(_queued.items()):
        r = subprocess.run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n",
                           text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("ip -n %s -batch failed: %s\n%s" % (ns, r.stderr, "\n".join(lines)))
    _queued.clear()


def xfrm_stat(ns):
    # Round.run reads the counters right after setting the SAs up: apply them first.
    flush_queued()

    def read():
        with open("/proc/net/xfrm_stat") as f:
            return f.read()

    out = pkt.in_netns(ns, read)
    return dict((k, int(v)) for k, v in (line.split() for line in out.splitlines()))


def timed(run):
    def wrapper(self):
        t0 = time.monotonic()
        run(self)
        print("round %s took %.1fs" % (self.d.rsplit("/", 1)[-1], time.monotonic() - t0))
    return wrapper


def main():
    pkt.Round.run = timed(pkt.Round.run)
    pkt.ip_cmd = ip_cmd
    pkt.xfrm_apply = xfrm_apply
    pkt.xfrm_stat = xfrm_stat
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60
    return pkt.cmd_rounds(argparse.Namespace(work=sys.argv[2], timeout=timeout, no_pair=False, only=None))


if __name__ == "__main__":
    sys.exit(main())
