#!/usr/bin/python3
"""Generates scenarios/generated/: every Fig. 6 row x each relevant fault on each message of
the commit, IKE and management exchanges. Each scenario is a row's base story
(the same shape as scenarios/fig6/) plus one fault rule, and expectations that must hold
under any single fault with the robust profile: the row's command is executed, the
client and the server end on a shared SA, and what the row forbids never happens.

  generate.py            write the files (removes stale ones)
  generate.py --check    exit 1 if the files on disk differ from what would be written
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "generated")

SECURITY = """security:
  suite: esp-aes-gcm-128
  key_exchange: ike
  refresh: 20s
  poll: 5s
{clear}"""
CLEAR = """  clear:
    allowed: true
    port: 623
    messages: [presence_ping, capabilities_request, system_state_request, reset, power_up, power_down, power_cycle]
"""

# row: (story, the requirement the row's story is about, servers, clients, timeline,
# expectations, faultable messages). Every expectation names the requirements it checks.
ROWS = {
    "row2": dict(
        req="REQ-F6-R2-REFRESH-COMMIT",
        story="client and server up: IKE, commit, refresh, a secured reset",
        clear=False,
        servers="  - name: srv1\n",
        clients="  - name: c1\n",
        timeline=["{at: 45s, do: reset, server: srv1, client: c1}"],
        expect=["{client: c1, executed: reset, req: [REQ-MGMT-EXECUTED]}", "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{not_seen: {msg: any, via: clear, port: 623}, req: [REQ-F6-R2-REFRESH-COMMIT]}"],
        msgs=["sa_ready", "sa_ack", "sa_confirm", "ike_sa_init", "ike_auth",
              "system_state_request", "system_state_response", "reset", "rmcp_ack"],
    ),
    "row3": dict(
        req="REQ-F6-R3-STORED-SA",
        story="client OS hung at 8 s: stored SA, no refresh, a secured reset at 40 s",
        clear=False,
        servers="  - name: srv1\n",
        clients="  - name: c1\n    boot_time: 30s\n",
        timeline=["{at: 8s, do: power, client: c1, cause: os_hang}",
                  "{at: 40s, do: reset, server: srv1, client: c1}"],
        expect=["{client: c1, executed: reset, req: [REQ-MGMT-EXECUTED]}", "{client: c1, sas: 1, req: [REQ-F6-R3-STORED-SA]}",
                "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{not_seen: {msg: ike_sa_init, after: 9s, before: 40s}, req: [REQ-F6-R3-STORED-SA, REQ-F4-NO-REFRESH-NOT-OPERATIONAL, REQ-F3-IKE-ON-OS-UP]}"],
        msgs=["system_state_request", "system_state_response", "reset", "rmcp_ack"],
    ),
    "row4": dict(
        req="REQ-F6-R4-STORED-SA",
        story="client in pre-boot from 8 s: stored SA, a secured power cycle at 30 s",
        clear=False,
        servers="  - name: srv1\n",
        clients="  - name: c1\n    boot_time: 40s\n",
        timeline=["{at: 8s, do: reset, server: srv1, client: c1}",
                  "{at: 30s, do: power_cycle, server: srv1, client: c1}"],
        expect=["{client: c1, executed: power_cycle, req: [REQ-MGMT-EXECUTED]}", "{client: c1, sas: 1, req: [REQ-F6-R4-STORED-SA]}",
                "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}"],
        msgs=["system_state_response", "reset", "power_cycle", "rmcp_ack"],
    ),
    "row5": dict(
        req="REQ-F6-R5-STORED-SA",
        story="client suspended at 8 s, woken by a secured power-up at 40 s",
        clear=False,
        servers="  - name: srv1\n",
        clients="  - name: c1\n",
        timeline=["{at: 8s, do: power, client: c1, cause: suspend}",
                  "{at: 40s, do: power_up, server: srv1, client: c1}"],
        expect=["{client: c1, executed: power_up, req: [REQ-MGMT-EXECUTED]}", "{client: c1, power: os_up, req: [REQ-MGMT-EXECUTED]}",
                "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{not_seen: {msg: ike_sa_init, after: 9s, before: 40s}, req: [REQ-F6-R5-STORED-SA, REQ-F4-NO-REFRESH-NOT-OPERATIONAL, REQ-F3-IKE-ON-OS-UP]}"],
        msgs=["system_state_response", "power_up", "rmcp_ack", "sa_ready"],
    ),
    "row6": dict(
        req="REQ-F6-R6-CLEAR-RESTRICTED",
        story="client in cold boot: restricted clear management on 623, then IKE once up",
        clear=True,
        servers="  - name: srv1\n",
        clients="  - name: c1\n    power: cold_boot\n    boot_time: 20s\n",
        timeline=["{at: 6s, do: reset, server: srv1, client: c1}"],
        expect=["{client: c1, executed: reset, req: [REQ-MGMT-EXECUTED]}", "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{client: c1, power: os_up, req: [REQ-MGMT-EXECUTED]}",
                "{not_seen: {msg: any, via: clear, port: 664}, req: [REQ-NIC-CLEAR-664-REFUSED]}"],
        msgs=["system_state_request", "system_state_response", "reset", "ike_sa_init",
              "ike_auth", "sa_ready"],
    ),
    "row7": dict(
        req="REQ-F6-R7-FAILOVER",
        story="the primary hangs at 21 s; the secondary takes over all three clients",
        clear=False,
        servers="  - name: primary\n    role: primary\n  - name: backup\n    role: secondary\n",
        clients="  - name: c1\n  - name: c2\n  - name: c3\n",
        timeline=["{at: 21s, do: power, server: primary, cause: os_hang}",
                  "{at: 40s, do: reset, server: backup, client: c2}"],
        expect=["{client: c2, executed: reset, req: [REQ-MGMT-EXECUTED]}", "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{client: c2, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}", "{client: c3, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}"],
        msgs=["system_state_response", "sa_ack", "reset", "ike_auth"],
    ),
    "row8": dict(
        req="REQ-F6-R8-CLEAR-SERVER-COLD",
        story="client hung, server cold boot at 12 s: clear reset on 623, new SA once up",
        clear=True,
        servers="  - name: srv1\n",
        clients="  - name: c1\n    boot_time: 25s\n",
        timeline=["{at: 8s, do: power, client: c1, cause: os_hang}",
                  "{at: 12s, do: power, server: srv1, cause: fresh_install}",
                  "{at: 20s, do: reset, server: srv1, client: c1}"],
        expect=["{client: c1, executed: reset, req: [REQ-MGMT-EXECUTED]}", "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{not_seen: {from: srv1, msg: any, via: secure, after: 12s, before: 45s}, req: [REQ-F6-R8-CLEAR-SERVER-COLD]}"],
        msgs=["system_state_request", "system_state_response", "reset", "ike_sa_init"],
    ),
    "row9": dict(
        req="REQ-F6-R9-CLEAR-BOTH-COLD",
        story="both in cold boot: clear management until the client is up, then IKE",
        clear=True,
        servers="  - name: srv1\n",
        clients="  - name: c1\n    power: cold_boot\n    boot_time: 25s\n",
        timeline=["{at: 0s, do: power, server: srv1, cause: fresh_install}",
                  "{at: 8s, do: power_cycle, server: srv1, client: c1}"],
        expect=["{client: c1, executed: power_cycle, req: [REQ-MGMT-EXECUTED]}", "{client: c1, in_sync: true, req: [REQ-COMMIT-SHARED-SA]}",
                "{not_seen: {msg: any, via: secure, before: 33s}, req: [REQ-F6-R9-CLEAR-BOTH-COLD]}"],
        msgs=["system_state_response", "power_cycle", "rmcp_ack", "ike_auth"],
    ),
}

# fault kind -> the rule's parameters (nth: 1, the first such message of the run)
FAULTS = {
    "drop": "do: drop",
    "duplicate": "do: duplicate, copies: 1, delay: 2ms",
    "delay": "do: delay, delay: 300ms",
    "corrupt": "do: corrupt, bits: 3, offset: 42",
}


def scenario(row, spec, fault, msg, seed):
    name = f"gen-{row}-{fault}-{msg.replace('_', '-')}"
    tl = "".join(f"  - {t}\n" for t in spec["timeline"])
    ex = "".join(f"  - {e}\n" for e in spec["expect"])
    return name, f"""# Generated by scenarios/templates/generate.py: do not edit.
# Fig. 6 {row}: {spec['story']};
# fault: {fault} the first {msg}.
name: {name}
seed: {seed}
duration: 70s
{SECURITY.format(clear=CLEAR if spec['clear'] else '')}servers:
{spec['servers']}clients:
{spec['clients']}faults:
  - {{{FAULTS[fault]}, msg: {msg}, nth: 1}}
timeline:
{tl}expect:
  - req: [{spec['req']}]
    seen:
      - {{msg: {msg}}}
{ex}"""


def files():
    out = {}
    seed = 1000
    for row, spec in ROWS.items():
        for msg in spec["msgs"]:
            for fault in FAULTS:
                seed += 1
                name, text = scenario(row, spec, fault, msg, seed)
                out[name + ".yaml"] = text
    return out


def main():
    want = files()
    check = "--check" in sys.argv[1:]
    have = set(f for f in os.listdir(OUT) if f.endswith(".yaml")) if os.path.isdir(OUT) else set()
    stale = have - set(want)
    differ = [f for f, t in want.items()
              if f not in have or open(os.path.join(OUT, f)).read() != t]
    if check:
        if stale or differ:
            print(f"scenarios/generated is out of date: {len(differ)} differ, {len(stale)} stale; "
                  "run scenarios/templates/generate.py", file=sys.stderr)
            return 1
        print(f"scenarios/generated: {len(want)} scenarios, in step with the templates")
        return 0
    os.makedirs(OUT, exist_ok=True)
    for f in stale:
        os.remove(os.path.join(OUT, f))
    for f, t in want.items():
        with open(os.path.join(OUT, f), "w") as fh:
            fh.write(t)
    print(f"wrote {len(want)} scenarios to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
