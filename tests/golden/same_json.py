#!/usr/bin/python3
"""Compare two `record.sh keep DIR` outputs across a change of JSON formatting.

    tests/golden/same_json.py OLD_DIR NEW_DIR

Every results.json and summary.json must hold the same data as parsed JSON:
the same keys in the same order, the same nesting, values of the same type
and value. The one rename allowed: OLD's results.json carried the key
`events` twice (the engine's event count, then the notes); it is read with
both kept and the integer one renamed `engine_events`, as NEW writes it. The
output directory (OLD_DIR, NEW_DIR) is read as OUT wherever a string names it.

Every other file (trace.pcap, the key files, store.sqlite, junit.xml, the
suites' logs) must be byte-identical, junit.xml and the logs once the
output directory is replaced by OUT. `sha256sums` (record.sh's own) is
skipped. Both trees must hold the same files.

Exit 0 when all holds; otherwise 1, naming each file that differs and where.
"""
import json
import os
import sys


class Obj(list):
    """A JSON object as its (key, value) pairs in file order."""


def pairs_keep_all(pairs):
    return Obj(pairs)


def refuse_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("key(s) %s twice in one object" % sorted(dup))
    return Obj(pairs)


def rename_engine_events(doc):
    """OLD's results.json: the first, integer `events` becomes `engine_events`."""
    out, seen = Obj(), False
    for k, v in doc:
        if k == "events" and not seen and isinstance(v, int):
            seen = True
            out.append(("engine_events", v))
        else:
            out.append((k, v))
    if [k for k, _ in out].count("events") > 1:
        raise ValueError("`events` twice, and neither is the engine's count")
    return out


def strip_dir(v, d):
    if isinstance(v, str):
        return v.replace(d, "OUT")
    if isinstance(v, Obj):
        return Obj((k, strip_dir(x, d)) for k, x in v)
    if isinstance(v, list):
        return [strip_dir(x, d) for x in v]
    return v


def diff(a, b, where):
    """The first place a and b differ (in type, keys, order or value), or None."""
    if type(a) is not type(b):
        return "%s: %s in OLD, %s in NEW" % (where, type(a).__name__, type(b).__name__)
    if isinstance(a, Obj):
        ka, kb = [k for k, _ in a], [k for k, _ in b]
        if ka != kb:
            return "%s: keys %s in OLD, %s in NEW" % (where, ka, kb)
        for (k, x), (_, y) in zip(a, b):
            d = diff(x, y, "%s.%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d items in OLD, %d in NEW" % (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r in OLD, %r in NEW" % (where, a, b)


def load(path, hook):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return json.load(f, object_pairs_hook=hook)


def compare_json(old, new, rel, old_dir, new_dir):
    a = strip_dir(load(old, pairs_keep_all), old_dir)
    b = strip_dir(load(new, refuse_duplicates), new_dir)
    if os.path.basename(rel) == "results.json":
        a = rename_engine_events(a)
    return diff(a, b, "$")


def read_bytes(path, d):
    with open(path, "rb") as f:
        data = f.read()
    return data.replace(os.fsencode(d), b"OUT") if d else data


def files(root):
    out = set()
    for dirpath, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tests/golden/same_json.py OLD_DIR NEW_DIR")
    old_dir, new_dir = (os.path.abspath(p) for p in sys.argv[1:])
    old_files, new_files = files(old_dir), files(new_dir)
    bad = ["%s: only in %s" % (rel, "OLD" if rel in old_files else "NEW")
           for rel in sorted(old_files ^ new_files)]
    same_json = same_bytes = 0
    for rel in sorted(old_files & new_files):
        if rel == "sha256sums":
            continue
        name = os.path.basename(rel)
        old, new = os.path.join(old_dir, rel), os.path.join(new_dir, rel)
        if name in ("results.json", "summary.json"):
            try:
                d = compare_json(old, new, rel, old_dir, new_dir)
            except ValueError as e:
                d = str(e)
        else:
            textual = name == "junit.xml" or name.endswith(".log")
            same = read_bytes(old, old_dir if textual else None) == read_bytes(
                new, new_dir if textual else None)
            d = None if same else "bytes differ"
        if d:
            bad.append("%s: %s" % (rel, d))
        elif name in ("results.json", "summary.json"):
            same_json += 1
        else:
            same_bytes += 1
    for line in bad:
        print(line)
    print("same_json: %d results.json/summary.json equal as data (events -> engine_events), "
          "%d other files byte-identical, %d difference(s)" % (same_json, same_bytes, len(bad)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
