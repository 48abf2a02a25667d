#!/usr/bin/env python3
"""Checks deploy/monitoring against what a running ringboot exports.

monitoring_names.py METRICS RULES DASHBOARD
  METRICS    a scrape of /metrics (the text exposition format)
  RULES      the Prometheus rules file (YAML)
  DASHBOARD  the Grafana dashboard (JSON)

The dashboard must be a dashboard: JSON with a title, a uid, panels with
unique ids, a gridPos and, for every panel that is not a row, targets whose
expressions are not empty. Every metric name (ringboot_...) in a rule's
expression and in a dashboard expression or variable query must be one the
scrape exports: a family of its "# TYPE" lines, or a histogram's _bucket,
_sum and _count. Prints each problem and exits 1 on any.
"""
import json
import re
import sys

import yaml

NAME = re.compile(r"\bringboot_[a-z0-9_]+")


def exported(path):
    names = set()
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if len(parts) == 4 and parts[:2] == ["#", "TYPE"]:
            names.add(parts[2])
            if parts[3] == "histogram":
                names.update(parts[2] + s for s in ("_bucket", "_sum", "_count"))
    return names


def rule_expressions(path):
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    problems, exprs = [], []
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups:
        return ["rules: no groups"], []
    for g in groups:
        for r in g.get("rules") or []:
            what = r.get("alert") or r.get("record") or "?"
            if not isinstance(r.get("expr"), str) or not r["expr"].strip():
                problems.append(f"rules: {what}: no expr")
                continue
            exprs.append((f"rule {what}", r["expr"]))
    return problems, exprs


def dashboard_expressions(path):
    try:
        doc = json.load(open(path, encoding="utf-8"))
    except json.JSONDecodeError as e:
        return [f"dashboard: not JSON: {e}"], []
    problems, exprs = [], []
    if not isinstance(doc, dict):
        return ["dashboard: not a JSON object"], []
    for key in ("title", "uid", "panels", "schemaVersion"):
        if key not in doc:
            problems.append(f"dashboard: no {key}")
    panels = doc.get("panels") or []
    if not panels:
        problems.append("dashboard: no panels")
    ids = set()
    for p in panels:
        title = p.get("title", "?")
        if not isinstance(p.get("id"), int) or p["id"] in ids:
            problems.append(f"dashboard: panel {title}: a missing or repeated id")
        ids.add(p.get("id"))
        grid = p.get("gridPos")
        if not isinstance(grid, dict) or not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            problems.append(f"dashboard: panel {title}: no gridPos x, y, w, h")
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"dashboard: panel {title}: no targets")
        for t in targets:
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                problems.append(f"dashboard: panel {title}: a target without expr")
            else:
                exprs.append((f"panel {title}", t["expr"]))
    for v in (doc.get("templating") or {}).get("list") or []:
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if isinstance(q, str):
            exprs.append((f"variable {v.get('name', '?')}", q))
    return problems, exprs


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    names = exported(sys.argv[1])
    if not names:
        sys.exit(f"{sys.argv[1]}: no # TYPE lines: not a scrape of /metrics")
    problems, exprs = rule_expressions(sys.argv[2])
    more, dash = dashboard_expressions(sys.argv[3])
    problems += more
    exprs += dash
    used = 0
    for where, expr in exprs:
        for name in NAME.findall(expr):
            used += 1
            if name not in names:
                problems.append(f"{where}: {name} is not a metric ringboot exports")
    if used == 0:
        problems.append("no ringboot_ metric in any expression")
    for p in problems:
        print(p)
    print(f"{len(exprs)} expressions, {used} metric names, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
