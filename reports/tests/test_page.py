import html.parser
import json
import os

import report
from conftest import clear_frame, esp_frame, pcap_bytes

FIG6 = [{"row": 2, "source": "patent", "client": ["os_up"], "server": ["os_up"], "text": "both up",
         "secure": True, "clear": {"allowed": False}, "failover": False},
        {"row": 4, "source": "patent", "client": ["pre_boot"], "server": ["os_up"], "text": "pre-boot",
         "secure": True, "clear": {"allowed": False}, "failover": False},
        {"row": 9, "source": "patent", "client": ["cold_boot"], "server": ["cold_boot"], "text": "clear",
         "secure": False, "clear": {"allowed": True, "port": 623}, "failover": False}]


def result(name, path, verdict, **extra):
    r = {"schema": "rmcpsec-result/1", "scenario": path, "name": name, "seed": 1,
         "duration_ns": 10**6, "verdict": verdict, "passed": 1, "failed": 0 if verdict == "PASS" else 1,
         "replay": "rmcpsec run %s --seed 1" % path, "trace": "trace.pcap", "frames": 2,
         "expectations": [{"line": 12, "verdict": verdict, "what": "c1 executed <reset>",
                           "observed": "executed 1 time(s)"}],
         "nodes": [{"name": "srv1", "role": "server"},
                   {"name": "c1", "role": "client", "power": "pre_boot"}],
         "events": [{"t_ns": 500, "node": "c1", "event": "power os_up -> pre_boot (reset)"}]}
    r.update(extra)
    return r


def make_outdir(tmp_path, truncate=False, extra=None):
    out = tmp_path / "out"
    runs = [("scenarios/fig6/row2-refresh.yaml", "row2-refresh", "PASS", {}),
            ("scenarios/other.yaml", "fig6-row4-preboot", "FAIL",
             # as sim/run.c writes it (docs/users/results.md)
             {"requirements": [{"id": "REQ-MGMT-EXECUTED", "verdict": "FAIL", "passed": 0,
                                "failed": 1, "checks": [12],
                                "observed": "line 12: c1 executed reset: executed 0 time(s)",
                                "text": "reset in pre-boot"}],
              "faults": [{"t_ns": 300, "node": "c1", "what": "power_loss"}]}),
            ("scenarios/smoke.yaml", "smoke", "PASS", extra or {})]
    summary = {"schema": "rmcpsec-summary/1", "scenarios": []}
    for path, name, verdict, ex in runs:
        d = out / path[len("scenarios/"):-len(".yaml")]
        d.mkdir(parents=True)
        (d / "results.json").write_text(json.dumps(result(name, path, verdict, **ex)))
        blob = pcap_bytes([(100, clear_frame(0x10)), (200, esp_frame(0x1234, False))])
        (d / "trace.pcap").write_bytes(blob[:-4] if truncate and name == "smoke" else blob)
        if name != "smoke":
            (d / "esp_sa").write_text('"IPv4","192.0.2.101","192.0.2.1","0x00001234","x","0x00","NULL",""\n')
        summary["scenarios"].append({"scenario": path, "name": name, "seed": 1, "verdict": verdict,
                                     "passed": 1, "failed": 0 if verdict == "PASS" else 1})
    (out / "summary.json").write_text(json.dumps(summary))
    fig6 = tmp_path / "fig6.json"
    fig6.write_text(json.dumps(FIG6))
    return out, fig6


class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "action") or (k == "style" and "url(" in v):
                self.refs.append((tag, k, v))

    def handle_data(self, data):
        self.text.append(data)


def parse(text):
    p = Refs()
    p.feed(text)
    return p


def test_page_is_self_contained_and_links_only_to_local_files(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    text = report.build_page(str(out), str(fig6), str(out / "report.html"))
    p = parse(text)
    assert "<link" not in text and "<script" not in text and "url(" not in text
    imgs = [v for t, k, v in p.refs if k == "src"]
    assert len(imgs) == 3 and all(v.startswith("data:image/png;base64,") for v in imgs)
    files = [v for t, k, v in p.refs if k == "href" and not v.startswith("#")]
    assert all(t == "a" for t, k, v in p.refs if k == "href")
    assert sorted(files) == sorted(["fig6/row2-refresh/trace.pcap", "fig6/row2-refresh/esp_sa",
                                    "fig6/row2-refresh/results.json", "other/trace.pcap",
                                    "other/esp_sa", "other/results.json", "smoke/trace.pcap",
                                    "smoke/results.json"])
    for f in files:
        assert os.path.isfile(out / f), f
    anchors = {v[1:] for t, k, v in p.refs if k == "href" and v.startswith("#")}
    assert anchors and all('id="%s"' % a in text for a in anchors)


def test_links_are_relative_to_the_report_location(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    text = report.build_page(str(out), str(fig6), str(tmp_path / "elsewhere" / "r.html"))
    files = [v for t, k, v in parse(text).refs if k == "href" and not v.startswith("#")]
    assert "../out/smoke/trace.pcap" in files


def test_matrix_rows_and_verdicts_on_the_page(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    text = report.build_page(str(out), str(fig6))
    assert '<td class="PASS">PASS</td>' in text
    # rows in table order, each with its verdict
    body = text[text.index('id="fig6"'):text.index('id="summary"')]
    cells = [c for c in ("PASS", "FAIL", "NOT-TESTED")]
    order = [(body.index("<td>%d</td>" % r)) for r in (2, 4, 9)]
    assert order == sorted(order)
    seg = lambda a, b: body[a:b]  # noqa: E731
    assert '>PASS</td>' in seg(order[0], order[1])
    assert '>FAIL</td>' in seg(order[1], order[2])
    assert '>NOT-TESTED</td>' in body[order[2]:]
    assert all(c in body for c in cells)


def test_expectations_requirements_and_escaping(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    text = report.build_page(str(out), str(fig6))
    assert "c1 executed &lt;reset&gt;" in text and "<reset>" not in text
    assert "REQ-MGMT-EXECUTED" in text and "executed 0 time(s)" in text and text.count("<h4>Requirements</h4>") == 1
    assert "No faults array" in text  # the scenarios without one say so


def test_truncated_trace_is_reported_on_the_page(tmp_path):
    out, fig6 = make_outdir(tmp_path, truncate=True)
    text = report.build_page(str(out), str(fig6))
    assert "truncated" in text and "the timeline shows the 1 frames before it" in text


def test_page_is_deterministic(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    assert report.build_page(str(out), str(fig6)) == report.build_page(str(out), str(fig6))


def test_missing_fig6_table_is_said_and_fig6_json_in_outdir_is_used(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    text = report.build_page(str(out))
    assert "No Fig. 6 table given" in text and "<td>9</td>" not in text
    (out / "fig6.json").write_text(fig6.read_text())
    text = report.build_page(str(out))
    assert "No Fig. 6 table given" not in text and "<td>9</td>" in text


def test_main_writes_the_page_and_fails_cleanly_on_bad_input(tmp_path, capsys):
    out, fig6 = make_outdir(tmp_path)
    assert report.main([str(out), "--fig6", str(fig6)]) == 0
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert report.main([str(tmp_path / "nowhere")]) == 2
    assert "summary.json" in capsys.readouterr().err
    (out / "summary.json").write_text('{"schema": "other/1"}')
    assert report.main([str(out)]) == 2


def test_node_addresses_from_results_are_used_when_present(tmp_path):
    out, fig6 = make_outdir(tmp_path)
    text = report.build_page(str(out), str(fig6))
    assert "default IPs" in text
    for d in ("fig6/row2-refresh", "other", "smoke"):
        p = out / d / "results.json"
        r = json.loads(p.read_text())
        r["nodes"][0].update(mac="02:00:00:00:01:01", ip="192.0.2.1")
        r["nodes"][1].update(mac="02:00:00:00:02:01", ip="192.0.2.101")
        p.write_text(json.dumps(r))
    text = report.build_page(str(out), str(fig6))
    assert "default IPs" not in text and "not matched to a node" not in text
