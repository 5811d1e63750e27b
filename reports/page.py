"""HTML of the report: one self-contained page (inline CSS, images as data:
URIs); the only links are relative ones to traces and key files."""

import base64
import html

CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #bbb;padding:.2em .5em;font-size:.9em;vertical-align:top;text-align:left}
th{background:#eee}
.PASS{background:#c8efc2}.FAIL{background:#f7b9b9}.NOT-TESTED{background:#e6e6f2;color:#555}
.note{color:#555;font-size:.9em}.warn{color:#a00000}
img.timeline{max-width:100%;border:1px solid #ccc}
code{font-size:.9em}
"""


def esc(x):
    return html.escape("" if x is None else str(x), quote=True)


def verdict_cell(v):
    return '<td class="%s">%s</td>' % (esc(v), esc(v))


def table(headers, rows):
    """rows: lists of already-escaped cell HTML (each including its <td>)."""
    out = ["<table><tr>" + "".join("<th>%s</th>" % esc(h) for h in headers) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def td(x):
    return "<td>%s</td>" % esc(x)


def anchor(path):
    return "s-" + "".join(c if c.isalnum() else "-" for c in (path or ""))


def matrix_section(rows, fig6_note):
    parts = ['<h2 id="fig6">Fig. 6 policy matrix</h2>']
    if fig6_note:
        parts.append('<p class="note">%s</p>' % esc(fig6_note))
    parts.append('<p class="note">A scenario counts for row N when its path is '
                 "<code>scenarios/fig6/rowN*.yaml</code> or its name starts with "
                 "<code>fig6-rowN</code> (docs/users/report.md).</p>")
    body = []
    for r in rows:
        spec = r["spec"] or {}
        clear = spec.get("clear") or {}
        mode = ""
        if spec:
            mode = "secure" if spec.get("secure") else (
                "clear on %s" % clear.get("port") if clear.get("allowed") else "none")
            if spec.get("failover"):
                mode += ", failover"
        links = ", ".join('<a href="#%s">%s</a>' % (anchor(s.get("scenario")), esc(s.get("name")))
                          for s in r["scenarios"])
        body.append([td(r["row"]), td(spec.get("source", "not in the Fig. 6 table")),
                     td(" ".join(spec.get("client", []))), td(" ".join(spec.get("server", []))),
                     td(mode), td(spec.get("text", "")), verdict_cell(r["verdict"]),
                     "<td>%s</td>" % links])
    parts.append(table(["row", "source", "client states", "server states", "management",
                        "Fig. 6 text", "verdict", "scenarios"], body))
    return "\n".join(parts)


def summary_section(entries):
    body = []
    for e in entries:
        s = e["summary"]
        body.append(['<td><a href="#%s">%s</a></td>' % (anchor(s.get("scenario")), esc(s.get("scenario"))),
                     td(s.get("name")), td(s.get("seed")), verdict_cell(s.get("verdict")),
                     td(s.get("passed")), td(s.get("failed"))])
    return '<h2 id="summary">Summary</h2>\n' + table(
        ["scenario", "name", "seed", "verdict", "passed", "failed"], body)


def requirements_table(reqs):
    body = []
    for r in reqs:
        body.append([td(r.get("id")), td(r.get("text", r.get("what", ""))),
                     verdict_cell(r.get("verdict")), td(r.get("observed", ""))])
    return "<h4>Requirements</h4>\n" + table(["id", "requirement", "verdict", "observed"], body)


def scenario_section(e):
    s, res = e["summary"], e["result"]
    parts = ['<h3 id="%s">%s</h3>' % (anchor(s.get("scenario")), esc(s.get("scenario")))]
    parts.append("<p>%s &mdash; verdict <b>%s</b>, seed %s, %s frames. Replay: <code>%s</code></p>"
                 % (esc(s.get("name")), esc(s.get("verdict")), esc(s.get("seed")),
                    esc(res.get("frames", "?")), esc(res.get("replay", ""))))
    links = ['<a href="%s">%s</a>' % (esc(href), esc(label)) for label, href in e["links"]]
    if links:
        parts.append("<p>Files: %s</p>" % " &middot; ".join(links))
    for w in e["warnings"]:
        parts.append('<p class="warn">%s</p>' % esc(w))
    exps = res.get("expectations") or []
    body = [[td(x.get("line")), td(x.get("what")), verdict_cell(x.get("verdict")),
             td(x.get("observed"))] for x in exps]
    parts.append("<h4>Expectations</h4>\n" + table(["line", "what", "verdict", "observed"], body))
    if isinstance(res.get("requirements"), list):
        parts.append(requirements_table(res["requirements"]))
    if e.get("png"):
        parts.append('<img class="timeline" alt="timeline of %s" src="data:image/png;base64,%s">'
                     % (esc(s.get("name")), base64.b64encode(e["png"]).decode("ascii")))
    for n in e["notes"]:
        parts.append('<p class="note">%s</p>' % esc(n))
    return "\n".join(parts)


def render(title, matrix_rows, fig6_note, entries, generated=None):
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>%s</title><style>%s</style></head><body>" % (esc(title), CSS),
             "<h1>%s</h1>" % esc(title)]
    if generated:
        parts.append('<p class="note">Generated: %s</p>' % esc(generated))
    parts.append(matrix_section(matrix_rows, fig6_note))
    parts.append(summary_section(entries))
    parts.append('<h2 id="scenarios">Scenarios</h2>')
    parts.extend(scenario_section(e) for e in entries)
    parts.append("</body></html>\n")
    return "\n".join(parts)
