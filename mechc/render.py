"""Render a Report as text (rich) or JSON. No analysis happens here."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape

from .report import Report

MARK = {"proved": ("✓", "green"), "verified": ("✓", "green"), "passed-search": ("~", "yellow"),
        "violated": ("✗", "red"), "unknown": ("?", "magenta")}


def to_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"


def to_junit(report: Report) -> str:
    """JUnit XML: one testsuite per spec, one testcase per required property."""
    import xml.etree.ElementTree as ET

    failures = sum(p.verdict == "violated" for p in report.properties)
    skipped = sum(p.verdict == "unknown" for p in report.properties)
    suite = ET.Element("testsuite", name=report.name, tests=str(len(report.properties)),
                       failures=str(failures), errors="0", skipped=str(skipped))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="spec", value=report.spec)
    for k, v in report.params.items():
        ET.SubElement(props, "property", name=f"param.{k}", value=str(v))
    for p in report.properties:
        case = ET.SubElement(suite, "testcase", classname=report.spec, name=p.name)
        case.set("file", report.spec)
        if p.line:
            case.set("line", str(p.line))
        if p.verdict == "violated":
            msg = p.counterexample.summary if p.counterexample else p.detail
            fail = ET.SubElement(case, "failure", message=msg, type="violated")
            fail.text = f"{p.name} is violated ({p.method}): {p.detail}"
        elif p.verdict == "unknown":
            ET.SubElement(case, "skipped", message=f"unknown: {p.detail}")
        out = ET.SubElement(case, "system-out")
        out.text = f"{p.verdict} ({p.method}): {p.detail}"
    for name, m in report.metrics.items():
        ET.SubElement(props, "property", name=f"metric.{name}", value=repr(m.value))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_text(report: Report, console: Console) -> None:
    console.print(f"[bold]{escape(report.name)}[/bold] ({escape(report.spec)})")
    if report.doc:
        console.print(f"  [italic]{escape(report.doc)}[/italic]")
    if report.params:
        console.print("  params: " + ", ".join(f"{k}={v}" for k, v in report.params.items()))
    console.print(f"  {escape(report.space)}")
    width = max((len(p.name) for p in report.properties), default=8)
    for p in report.properties:
        mark, color = MARK[p.verdict]
        console.print(f"  [{color}]{mark} {escape(p.name.ljust(width))}  {p.verdict:<13}[/{color}] "
                      f"[dim]{escape(p.method)}[/dim]: {escape(p.detail)}")
        if p.counterexample is not None:
            console.print(f"      [bold]counterexample:[/bold] {escape(p.counterexample.summary)}")
    if report.metrics:
        console.print("  metrics:")
        for name, m in report.metrics.items():
            exact = f" (exact {m.exact})" if m.exact and m.exact != f"{m.value:g}" else ""
            se = f" ± {m.stderr:.3g}" if m.stderr is not None else ""
            console.print(f"    {escape(name)} = {m.value:.6g}{se}{escape(exact)}  [dim]{escape(m.method)}[/dim]")
    for note in report.notes:
        console.print(f"  [yellow]note:[/yellow] {escape(note)}")
    n_bad = sum(p.verdict == "violated" for p in report.properties)
    if n_bad:
        console.print(f"[red bold]{n_bad} required propert{'y' if n_bad == 1 else 'ies'} violated[/red bold]")
    else:
        console.print("[green]no required property is violated[/green]")
