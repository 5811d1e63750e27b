#!/usr/bin/python3
"""Turn an `rmcpsec suite` output directory into one self-contained HTML page.

usage: /usr/bin/python3 reports/report.py OUTDIR [--fig6 FIG6.json] [-o OUTDIR/report.html]

OUTDIR holds summary.json (rmcpsec-summary/1) and per scenario
OUTDIR/<path>/results.json (rmcpsec-result/1), trace.pcap and maybe esp_sa.
FIG6.json is `rmcpsec fig6 --json`; without --fig6, OUTDIR/fig6.json is used
when present.  The page has no generation timestamp: the same inputs give
the same bytes.
"""

import argparse
import json
import os
import sys

import matrix
import page
import pcapread
import timeline


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def result_dir(outdir, scenario_path):
    """OUTDIR/<path under the suite directory, without .yaml>.  The summary
    records the scenario path as given to the suite (e.g. scenarios/x/y.yaml);
    the suite writes it relative to its directory, so try the path with its
    leading components removed until a results.json is found."""
    rel = scenario_path[:-5] if scenario_path.endswith(".yaml") else scenario_path
    comps = [c for c in rel.split("/") if c not in ("", ".")]
    for i in range(len(comps)):
        d = os.path.join(outdir, *comps[i:])
        if os.path.isfile(os.path.join(d, "results.json")):
            return d
    return None


def scenario_entry(outdir, report_dir, s):
    entry = {"summary": s, "result": {}, "links": [], "warnings": [], "notes": [], "png": None}
    d = result_dir(outdir, s.get("scenario", ""))
    if d is None:
        entry["warnings"].append("no results.json found for this scenario under %s" % outdir)
        return entry
    try:
        res = load_json(os.path.join(d, "results.json"))
    except (OSError, ValueError) as e:
        entry["warnings"].append("results.json unreadable: %s" % e)
        return entry
    entry["result"] = res
    trace = os.path.join(d, res.get("trace") or "trace.pcap")
    for label, path in (("trace.pcap", trace), ("esp_sa", os.path.join(d, "esp_sa")),
                        ("results.json", os.path.join(d, "results.json"))):
        if os.path.isfile(path):
            entry["links"].append((label, os.path.relpath(path, report_dir).replace(os.sep, "/")))
    packets, problem = pcapread.load_trace(trace)
    if problem:
        entry["warnings"].append("trace: %s (the timeline shows the %d frames before it)"
                                 % (problem, len(packets)))
    faults = res.get("faults") if isinstance(res.get("faults"), list) else None
    png, notes = timeline.render(res, packets, faults)
    entry["png"] = png
    if notes["step"] > 1:
        entry["notes"].append(
            "Sampled view: %d of %d frames drawn (every %d-th frame, ARP left out); "
            "open trace.pcap for all of them." % (notes["drawn"], notes["total"], notes["step"]))
    elif notes["arp_hidden"]:
        entry["notes"].append("ARP frames (%d) left out of the timeline." % notes["arp_hidden"])
    if notes["assumed_addresses"]:
        entry["notes"].append("results.json gives no node addresses: nodes were matched to "
                              "the scenario loader's default IPs (servers 192.0.2.1.., "
                              "clients 192.0.2.101..).")
    if notes["unknown"]:
        entry["notes"].append("Addresses not matched to a node (own lanes): "
                              + ", ".join(notes["unknown"]))
    if faults is None:
        entry["notes"].append("No faults array in results.json: no faults marked.")
    return entry


def build_page(outdir, fig6_path=None, report_path=None):
    summary = load_json(os.path.join(outdir, "summary.json"))
    if summary.get("schema") != "rmcpsec-summary/1":
        raise ValueError("%s/summary.json: schema %r, want rmcpsec-summary/1"
                         % (outdir, summary.get("schema")))
    report_dir = os.path.dirname(os.path.abspath(report_path or os.path.join(outdir, "report.html")))
    if fig6_path is None and os.path.isfile(os.path.join(outdir, "fig6.json")):
        fig6_path = os.path.join(outdir, "fig6.json")
    fig6_rows, fig6_note = [], None
    if fig6_path:
        fig6_rows = load_json(fig6_path)
    else:
        fig6_note = ("No Fig. 6 table given (--fig6, from `rmcpsec fig6 --json`): only rows "
                     "named by a scenario are listed.")
    scenarios = summary.get("scenarios", [])
    rows = matrix.build(fig6_rows, scenarios)
    entries = [scenario_entry(os.path.abspath(outdir), report_dir, s) for s in scenarios]
    return page.render("rmcpsec conformance report", rows, fig6_note, entries)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("outdir")
    ap.add_argument("--fig6", help="rmcpsec fig6 --json output")
    ap.add_argument("-o", "--output", help="default OUTDIR/report.html")
    a = ap.parse_args(argv)
    out = a.output or os.path.join(a.outdir, "report.html")
    try:
        text = build_page(a.outdir, a.fig6, out)
    except (OSError, ValueError) as e:
        print("report.py: %s" % e, file=sys.stderr)
        return 2
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print("report: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
