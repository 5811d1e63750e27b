"""Timeline image of one scenario run: nodes as lanes, power states as bands,
messages as arrows coloured by protection, faults marked.  Returns PNG bytes."""

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from pcapread import asf_name  # noqa: E402

MAX_ARROWS = 300  # above this, a deterministic every-k-th sample is drawn
ARROW_NUDGE = 0.002  # fraction of the run: opposite directions drawn apart

POWER_COLOURS = {
    "os_up": "#b7e4b0",
    "os_hung": "#f6c38b",
    "pre_boot": "#a8d0f0",
    "os_suspend": "#d7c4ec",
    "cold_boot": "#f3e49a",
    "soft_off": "#d0d0d0",
    "mech_off": "#8c8c8c",
}
CLEAR_COLOUR = "#000000"
ARP_COLOUR = "#bbbbbb"
OTHER_COLOUR = "#cc00cc"
SPI_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
               "#17becf", "#e377c2", "#bcbd22", "#7f7f7f"]

_POWER_RE = re.compile(r"^power (\w+) -> (\w+)")


def default_addresses(nodes):
    """The scenario loader's default addresses (docs/users/scenarios.md): servers
    192.0.2.(1+i), clients 192.0.2.(101+i).  Used only when results.json
    carries no "ip" for a node; the page says so."""
    out = {}
    si = ci = 0
    for n in nodes:
        if n.get("role") == "server":
            out[n["name"]] = "192.0.2.%d" % (1 + si)
            si += 1
        elif n.get("role") == "client":
            out[n["name"]] = "192.0.2.%d" % (101 + ci)
            ci += 1
    return out


def address_map(nodes):
    """(ip -> node, mac -> node, assumed) from results.json nodes; assumed is True
    when some node had no "ip" and the default addressing was used for it."""
    by_ip, by_mac, assumed = {}, {}, False
    defaults = default_addresses(nodes)
    for n in nodes:
        name = n.get("name")
        if n.get("mac"):
            by_mac[n["mac"].lower()] = name
        if n.get("ip"):
            by_ip[n["ip"]] = name
        elif name in defaults:
            by_ip[defaults[name]] = name
            assumed = True
    return by_ip, by_mac, assumed


def endpoint(pkt, side, by_ip, by_mac):
    """Node name (or address when unknown) of one end of a packet; None for
    broadcast with no IP to say more."""
    ip = pkt.src_ip if side == "src" else pkt.dst_ip
    mac = pkt.src_mac if side == "src" else pkt.dst_mac
    if ip and ip in by_ip:
        return by_ip[ip]
    if mac and mac in by_mac:
        return by_mac[mac]
    return ip or mac


def power_bands(node, events, duration_ns):
    """[(start_ns, end_ns, state)] for a node from its power events; the final
    state in nodes[] fills the run when there were no changes."""
    changes = []
    for e in events:
        if e.get("node") != node.get("name"):
            continue
        m = _POWER_RE.match(e.get("event", ""))
        if m:
            changes.append((e["t_ns"], m.group(1), m.group(2)))
    if not changes:
        return [(0, duration_ns, node["power"])] if node.get("power") else []
    bands = []
    t0, state = 0, changes[0][1]
    for t, _frm, to in changes:
        if t > t0:
            bands.append((t0, t, state))
        t0, state = t, to
    if duration_ns > t0:
        bands.append((t0, duration_ns, state))
    return bands


def protection(pkt):
    """Legend key of a packet: what protected it."""
    if pkt.kind in ("esp", "ah", "ah+esp"):
        return "%s SPI 0x%08x" % (pkt.kind.upper(), pkt.spi)
    if pkt.kind == "clear":
        port = pkt.dport if pkt.dport in (623, 664) else pkt.sport
        return "clear UDP %d" % port
    return pkt.kind


def sample(packets, limit=MAX_ARROWS):
    """(drawn packets, step): every step-th packet so that at most limit remain."""
    if len(packets) <= limit:
        return list(packets), 1
    step = -(-len(packets) // limit)
    return packets[::step], step


def render(result, packets, faults=None, limit=MAX_ARROWS):
    """PNG bytes of the timeline and a dict of notes (drawn, total, step, unknown)."""
    nodes = result.get("nodes", [])
    events = result.get("events", []) if isinstance(result.get("events"), list) else []
    duration = result.get("duration_ns") or max([p.t_ns for p in packets] + [1])
    by_ip, by_mac, assumed = address_map(nodes)
    lanes = [n["name"] for n in nodes]
    msgs = [p for p in packets if p.kind != "arp"]
    arps = [p for p in packets if p.kind == "arp"]
    # ARP is noise beside the management traffic; draw it only when room is left.
    pool = msgs + (arps if len(msgs) + len(arps) <= limit else [])
    pool.sort(key=lambda p: p.number)
    drawn, step = sample(pool, limit)
    unknown = sorted({x for p in drawn for x in (endpoint(p, "src", by_ip, by_mac),
                                                 endpoint(p, "dst", by_ip, by_mac))
                      if x is not None and x not in lanes})
    lanes += unknown
    y = {name: len(lanes) - 1 - i for i, name in enumerate(lanes)}
    scale = 1e-9
    fig_h = 1.2 + 0.7 * len(lanes)
    fig, ax = plt.subplots(figsize=(12, fig_h), dpi=90)
    bands = {n["name"]: power_bands(n, events, duration) for n in nodes}
    for name, bs in bands.items():
        by_state = {}
        for t0, t1, state in bs:
            by_state.setdefault(state, []).append((t0 * scale, (t1 - t0) * scale))
        for state, spans in sorted(by_state.items()):
            ax.broken_barh(spans, (y[name] - 0.3, 0.6),
                           facecolors=POWER_COLOURS.get(state, "#eeeeee"), linewidth=0)
    colours, labels = {}, {}
    spi_i = 0
    # Request and answer are microseconds apart: at run scale they would be drawn
    # on top of each other, so upward arrows are nudged right and downward left.
    nudge = duration * scale * ARROW_NUDGE
    for p in drawn:
        key = protection(p)
        s = endpoint(p, "src", by_ip, by_mac)
        d = endpoint(p, "dst", by_ip, by_mac)
        if key not in colours:
            labels[key] = key if p.spi is None else "%s (%s->%s)" % (key, s, d)
            if p.kind == "clear":
                colours[key] = CLEAR_COLOUR
            elif p.kind == "arp":
                colours[key] = ARP_COLOUR
            elif p.spi is not None:
                colours[key] = SPI_COLOURS[spi_i % len(SPI_COLOURS)]
                spi_i += 1
            else:
                colours[key] = OTHER_COLOUR
        if s not in y:
            continue
        t = p.t_ns * scale
        if d in y and d != s:
            t += nudge if y[d] > y[s] else -nudge
            ax.annotate("", xy=(t, y[d]), xytext=(t, y[s]),
                        arrowprops=dict(arrowstyle="-|>", color=colours[key], lw=0.9,
                                        shrinkA=0, shrinkB=2))
            if step == 1 and len(drawn) <= 40 and p.asf_type is not None:
                ax.text(t, (y[s] + y[d]) / 2, " " + asf_name(p.asf_type), fontsize=6,
                        rotation=90, va="center", color=colours[key])
        else:
            ax.plot([t], [y[s]], marker="o", ms=3, color=colours[key])
    fault_list = faults or []
    for f in fault_list:
        t = f.get("t_ns", 0) * scale
        lane = f.get("node")
        if lane in y:
            ax.plot([t], [y[lane] + 0.38], marker="X", ms=9, color="#e00000")
        else:
            ax.axvline(t, color="#e00000", ls="--", lw=0.8)
    ax.set_yticks([y[n] for n in lanes])
    ax.set_yticklabels(lanes)
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    ax.set_xlim(0, duration * scale)
    ax.set_xlabel("virtual time (s)")
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    handles = [Patch(facecolor=POWER_COLOURS[s], label=s) for s in POWER_COLOURS
               if any(b[2] == s for bs in bands.values() for b in bs)]
    handles += [Line2D([0], [0], color=c, lw=2, label=labels[k]) for k, c in colours.items()]
    if fault_list:
        handles.append(Line2D([0], [0], color="#e00000", marker="X", lw=0, label="fault"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=7, frameon=False)
    title = result.get("name", "")
    if step > 1:
        title += "  (every %d-th of %d frames drawn)" % (step, len(pool))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    notes = {"drawn": len(drawn), "total": len(packets), "step": step,
             "arp_hidden": len(arps) if len(msgs) + len(arps) > limit else 0,
             "unknown": unknown, "assumed_addresses": assumed}
    return buf.getvalue(), notes
