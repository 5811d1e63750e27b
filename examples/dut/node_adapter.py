#!/usr/bin/python3
"""A DUT adapter (docs/users/dut.md) for rmcpsec's own reference node run as a separate
process: `rmcpsec node client|server` in a network namespace, driven through its
JSON-lines control socket. It shows a vendor what an adapter does:

  begin SCENARIO NODE SEED PROFILE  (re)start the device configured for this scenario
  power EVENT                        a power event from outside the network
  state                              one JSON line: power, sa.spi_in, commits, executed
  send MSG CLIENT VIA                a server device sends a request or command
                                     (VIA: secure, clear or auto)
  end                                stop the device

Exit 0 done, 3 not supported by this device, anything else an error.
Environment (set by whoever runs the suite): RMCPSEC_NODE_BIN (the rmcpsec binary),
RMCPSEC_NODE_NETNS (the namespace the device lives in; unset: the caller's), its link:
RMCPSEC_NODE_IFACE (an interface there) or RMCPSEC_NODE_TAP (a TAP device it attaches to,
as a VM does), RMCPSEC_NODE_DIR (a directory for its socket, pid and log); and
from rmcpsec: RMCPSEC_DUT_ROLE (client or server).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

UNSUPPORTED = 3


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"node_adapter: {name} is not set")
    return v


def paths():
    d = env("RMCPSEC_NODE_DIR")
    return os.path.join(d, "ctl.sock"), os.path.join(d, "node.pid"), os.path.join(d, "node.log")


def request(obj, timeout=5.0):
    sock_path = paths()[0]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall((json.dumps(obj) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    reply = json.loads(buf)
    if not reply.get("ok"):
        sys.exit(f"node_adapter: {obj['cmd']}: {reply.get('error')}")
    return reply


def running_pid():
    pid_file = paths()[1]
    try:
        pid = int(open(pid_file).read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.02)
    return False


def stop():
    pid = running_pid()
    if pid is None:
        return
    try:
        request({"cmd": "stop"})
    except (OSError, ValueError):
        os.kill(pid, signal.SIGTERM)
    if not wait_gone(pid, 10):
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid, 5)


def begin(scenario, node, seed, profile):
    stop()
    sock_path, pid_file, log = paths()
    role = env("RMCPSEC_DUT_ROLE")
    # on a TAP the node holds the device's descriptor, as a VM does; else a packet socket
    link = (["--tap", os.environ["RMCPSEC_NODE_TAP"]] if os.environ.get("RMCPSEC_NODE_TAP")
            else ["--iface", env("RMCPSEC_NODE_IFACE")])
    netns = os.environ.get("RMCPSEC_NODE_NETNS")
    cmd = (["ip", "netns", "exec", netns] if netns else []) + [
           env("RMCPSEC_NODE_BIN"), "node", role] + link + ["--config", scenario, "--node", node,
           "--seed", seed, "--profile", profile, "--control", sock_path,
           "--out", os.path.join(env("RMCPSEC_NODE_DIR"), "out")]
    with open(log, "a") as lf:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                             start_new_session=True)
    open(pid_file, "w").write(str(p.pid))
    # ready when the control socket answers, not after a guessed delay
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.poll() is not None:
            sys.exit(f"node_adapter: the node exited at once (see {log})")
        try:
            request({"cmd": "state"}, timeout=1)
            return
        except (OSError, ValueError):
            time.sleep(0.02)
    sys.exit("node_adapter: the node's control socket never answered")


def main(argv):
    if not argv:
        sys.exit("usage: node_adapter.py begin|power|state|end ...")
    verb = argv[0]
    if verb == "begin" and len(argv) == 5:
        begin(*argv[1:])
    elif verb == "power" and len(argv) == 2:
        request({"cmd": "power", "event": argv[1]})
    elif verb == "send" and len(argv) == 4:
        request({"cmd": "send", "msg": argv[1], "client": argv[2], "via": argv[3]})
    elif verb == "state":
        print(json.dumps(request({"cmd": "state"})))
    elif verb == "end":
        stop()
    else:
        return UNSUPPORTED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
