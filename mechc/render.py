"""Render a Report as text (rich) or JSON. No analysis happens here."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape

from .report import Report

MARK = {"proved": ("✓", "green"), "verified": ("✓", "green"), "passed-search": ("~", "yellow"),
        "violated": ("✗", "red"), "unknown": ("?", "magenta")}


def to_plain(report: Report) -> str:
    """The text report without colour (for str(), logs and files)."""
    import io

    buf = io.StringIO()
    to_text(report, Console(file=buf, no_color=True, highlight=False, soft_wrap=True, force_terminal=False))
    return buf.getvalue()


def to_html(report: Report) -> str:
    """An HTML table for notebooks (Jupyter calls Report._repr_html_)."""
    from html import escape as h

    colours = {"proved": "#1a7f37", "verified": "#1a7f37", "passed-search": "#9a6700", "violated": "#cf222e",
               "unknown": "#8250df"}
    rows = []
    for p in report.properties:
        cx = f"<br><b>counterexample:</b> {h(p.counterexample.summary)}" if p.counterexample else ""
        rows.append(f"<tr><td><code>{h(p.name)}</code></td><td style='color:{colours[p.verdict]}'><b>{h(p.verdict)}"
                    f"</b></td><td>{h(p.method)}</td><td>{h(p.detail)}{cx}</td></tr>")
    metrics = "".join(f"<tr><td><code>{h(k)}</code></td><td colspan=3>{m.value:.6g}"
                      f"{' (exact ' + h(m.exact) + ')' if m.exact else ''}"
                      f"{' &plusmn; ' + format(m.stderr, '.3g') if m.stderr is not None else ''}"
                      f" <small>{h(m.method)}</small></td></tr>" for k, m in report.metrics.items())
    return (f"<div><b>{h(report.name)}</b> <small>({h(report.spec)})</small><br><small>{h(report.space)}</small>"
            f"<table><tr><th>property</th><th>verdict</th><th>method</th><th>detail</th></tr>{''.join(rows)}"
            f"{metrics}</table></div>")


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


def summary(report: Report) -> str:
    counts: dict[str, int] = {}
    for p in report.properties:
        counts[p.verdict] = counts.get(p.verdict, 0) + 1
    parts = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no required property"
    return f"{report.spec}: {report.name}: {parts}"


def to_text(report: Report, console: Console, verbosity: int = 0) -> None:
    """verbosity -1: one summary line; 0: the report; 1: plus each property's statistics."""
    if verbosity < 0:
        n_bad = sum(p.verdict == "violated" for p in report.properties)
        colour = "red" if n_bad else "green"
        console.print(f"[{colour}]{escape(summary(report))}[/{colour}]")
        return
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
        if verbosity > 0 and p.stats:
            stats = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.stats.items())
            console.print(f"      [dim]{escape(stats)}[/dim]")
    if report.metrics:
        console.print("  metrics:")
        for name, m in report.metrics.items():
            exact = f" (exact {m.exact})" if m.exact and m.exact != f"{m.value:g}" else ""
            se = f" ± {m.stderr:.2g} (standard error)" if m.stderr is not None else ""
            console.print(f"    {escape(name)} = {m.value:.6g}{se}{escape(exact)}  [dim]{escape(m.method)}[/dim]")
    for note in report.notes:
        console.print(f"  [yellow]note:[/yellow] {escape(note)}")
    n_bad = sum(p.verdict == "violated" for p in report.properties)
    if n_bad:
        console.print(f"[red bold]{n_bad} required propert{'y' if n_bad == 1 else 'ies'} violated[/red bold]")
    else:
        console.print("[green]no required property is violated[/green]")
