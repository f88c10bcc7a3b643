"""``mechc compile``: a Model (plus the checker's report) -> a standalone Python module and its tests.

Expressions go through ``MechPrinter``; the file layout is in ``templates/*.j2``; everything else
(names, sets, docstrings) is prepared here as plain strings. Output is deterministic: no
timestamps, sorted iteration, the spec path as given.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path

import jinja2

from .. import __version__
from ..errors import source_lines
from ..model.model import Model, TypeSpace, _fmt
from ..model.priors import prior_of
from ..report import Report
from .printer import MechPrinter, num

__all__ = ["GeneratedFiles", "generate", "module_name"]

_EMBED_MARK = "# ---- begin embedded ----\n"
_MODULE_RESERVED = set(sys.stdlib_module_names) | {"numpy", "hypothesis", "pytest", "mechc", "mech", "conftest"}
TEST_TAIL = 1e-9  # generated property tests draw an unbounded type between these quantiles of its prior


@dataclass(frozen=True)
class GeneratedFiles:
    module_name: str
    module: str
    tests: str

    def files(self) -> dict[str, str]:
        return {f"{self.module_name}.py": self.module, f"test_{self.module_name}.py": self.tests}


def module_name(spec_path: str) -> str:
    """The generated module's name: an ASCII identifier that no import of the generated files or
    the standard library can mean instead."""
    name = re.sub(r"[^a-z0-9_]", "_", Path(spec_path).stem.lower())
    if not name or name[0].isdigit():
        name = "m_" + name
    while name in _MODULE_RESERVED or keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("mechc").joinpath("templates", name).read_text(encoding="utf-8"))
    env = jinja2.Environment(loader=loader, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             autoescape=False)
    env.filters.update(pystr=py_str, doc=docstring, comment=comment, one_line=one_line)
    return env


def _embedded(path: str) -> str:
    """The source of one of mechc's numpy-only support files, without its imports."""
    text = resources.files("mechc").joinpath(path).read_text(encoding="utf-8")
    if _EMBED_MARK in text:
        return text.split(_EMBED_MARK, 1)[1].strip("\n")
    body = text.split('"""', 2)[2]  # drop the module docstring
    lines = [ln for ln in body.splitlines() if not ln.startswith(("import ", "from "))]
    return "\n".join(lines).strip("\n")


def tup(items) -> str:
    """A Python tuple literal from already-printed items."""
    items = list(items)
    return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def escape(text: str, quote: str | None = '"') -> str:
    """The one way text that is not printed code (paths, names, docstrings, source lines) enters a
    generated file: backslashes, ``quote`` and every non-printable character (line breaks, NUL, other
    control characters, U+2028, lone surrogates) as Python escapes, so it cannot end a comment, a
    string or a docstring, nor make the file unreadable."""
    out = []
    for ch in text:
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    return "".join(out)


def py_str(text: str) -> str:
    """A Python string literal for ``text`` (see ``escape``)."""
    return '"' + escape(text) + '"'


def one_line(text: str) -> str:
    """Text (a path, a name) kept on one line of a comment or docstring, its line breaks as escapes."""
    return escape(text, quote=None)


def comment(text: str) -> str:
    """Spec text on one comment line: nothing can escape the line."""
    return one_line(text.strip())


def docstring(text: str) -> str:
    """Text for the inside of a triple-quoted docstring: its line breaks kept, nothing else can end it."""
    return "\n".join(escape(line, quote=None) for line in text.split("\n")).replace('"""', '\\"\\"\\"')


def _end(x, default: str) -> str:
    """An interval end as a Python literal (an infinite end: float("inf"))."""
    return repr(float(x)) if x is not None else f'float("{default}")'


def _space(ts: TypeSpace) -> str:
    if ts.continuous:
        return f'("interval", {_end(ts.lo, "-inf")}, {_end(ts.hi, "inf")})'
    vals = tup(str(v) if ts.symbolic else repr(float(v)) for v in ts.values)
    return f'("finite", {vals})'


def _source_line(source: str | None, line: int) -> str:
    if not source:
        return ""
    lines = source_lines(source)
    return comment(lines[line - 1]) if 0 < line <= len(lines) else ""


def _set_expr(pr: MechPrinter, model: Model, name: str, desc) -> dict:
    kind = desc[0]
    names = pr.names
    out = {"method": names.set_method(name), "comment": comment(name), "table": None, "items_method": None,
           "table_method": None}
    if kind == "range":
        lo, hi = (pr._bound(b) for b in desc[1:])
        out["expr"] = f"tuple(range({lo}, {hi} + 1))"
    elif kind == "symbols":
        out["expr"] = tup(names.symbol(s) for s in desc[1])
    elif kind == "numbers":
        out["expr"] = tup(num(Fraction(v)) for v in desc[1])
    elif kind == "alias":
        out["expr"] = f"self.{names.set_method(desc[1])}()"
    else:  # assignments(items, to, allow_none)
        items, to, allow_none = desc[1:]
        out["expr"] = f"tuple(range(len(self.{names.table_method(name)}())))"
        out["table"] = f"assignments(self.{names.set_method(items)}(), self.{names.set_method(to)}(), {allow_none})"
        out["table_method"] = names.table_method(name)
        out["items_method"] = names.set_method(items)
    return out


def generate(model: Model, report: Report | None, source: str | None = None,
             spec_path: str | None = None) -> GeneratedFiles:
    """The generated module and its property tests, as text."""
    spec_path = spec_path or model.file
    name = module_name(spec_path)
    pr = MechPrinter(model)
    ident, set_method = pr.names.ident, pr.names.set_method
    env = _env()

    defs = []
    for dname, d in model.defs.items():
        defs.append({
            "name": ident(dname), "args": [pr._print(v) for v in d.index_vars],
            "comment": f"{one_line(spec_path)}:{d.span.line}: {_source_line(source, d.span.line)}",
            "expr": pr.doprint(d.body),
        })
    sets = [_set_expr(pr, model, n, desc) for n, desc in sorted(model.set_defs.items(), key=lambda kv: set_method(kv[0]))]
    index_sets = {ident(n): tuple(set_method(s.name) for s in d.index_sets)
                  for n, d in model.defs.items() if d.index_sets}
    fields = []
    for dname, d in model.defs.items():
        if d.reads_types or dname == "utility" or len(d.index_sets) > 1:
            continue
        call = f"rules.{ident(dname)}"
        if d.index_sets:
            fields.append({"name": ident(dname), "doc": f"(P, |{comment(d.index_sets[0].name)}|)",
                           "expr": f"np.stack([np.broadcast_to({call}(c), (len(arr),)) "
                                   f"for c in rules.{set_method(d.index_sets[0].name)}()], axis=1)"})
        else:
            fields.append({"name": ident(dname), "doc": "(P,)",
                           "expr": f"np.broadcast_to({call}(), (len(arr),))"})
    params = []
    for pname, (ptype, value) in model.params.items():
        pyt = {"int": "int", "real": "float", "bool": "bool"}[ptype]
        default = repr(bool(value)) if ptype == "bool" else (str(int(value)) if ptype == "int" else repr(float(value)))
        params.append({"name": ident(pname), "type": pyt, "default": default})
    sig = ", ".join(f"{q['name']}: {q['type']} = {q['default']}" for q in params)
    call = ", ".join(f"{q['name']}={q['name']}" for q in params)
    field_kinds = {}
    for dname, d in model.defs.items():
        if d.vtype.kind == "elem":
            field_kinds[ident(dname)] = "symbol"
        elif d.vtype.kind == "outcome":
            oset = model.sets[d.vtype.key]
            field_kinds[ident(dname)] = (pr.names.table_method(oset.name), oset.to.kind == "sym")
    ts0 = model.type_spaces[0]
    per_agent = [(code, _space(ts)) for code, ts in zip(model.agents.codes, model.type_spaces, strict=True)
                 if model.generic_space is None or ts != model.generic_space]
    ctx = {
        "docstring": _module_docstring(model, report, spec_path),
        "version": __version__, "spec": spec_path, "name": model.name,
        "runtime": _embedded("runtime.py"), "rules_base": _embedded("codegen/rules_base.py"),
        "symbols": sorted(((pr.names.symbol(s), s, c) for s, c in model.symbols.items()), key=lambda x: x[2]),
        "generic_space": _space(model.generic_space or ts0),
        "type_spaces": per_agent,
        "symbolic_types": ts0.symbolic,
        "items": tup(str(c) for c in ts0.items.codes) if ts0.items is not None else "()",
        "params": params, "agent_set": set_method(model.agents.name),
        "kwsig": f"*, {sig}" if sig else "", "kwsig_tail": f", *, {sig}" if sig else "",
        "kwcall": call,
        "field_kinds": "{" + ", ".join(f"{k!r}: {v!r}" for k, v in field_kinds.items()) + "}",
        "item_set": set_method(ts0.items.name) if ts0.items is not None else None,
        "type_reading": "{" + ", ".join(repr(ident(n)) for n, d in model.defs.items() if d.reads_types) + "}"
        if any(d.reads_types for d in model.defs.values()) else "",
        "index_sets": "{" + ", ".join(f"{k!r}: {v!r}" for k, v in index_sets.items()) + "}",
        "sets": sets, "defs": defs, "fields": fields,
        "utility_var": pr._print(model.utility_var),
        "utility": pr.doprint(model.utility) if model.utility is not None else "None",
        "constraints": [{"comment": f"{one_line(spec_path)}:{c.span.line}: {_source_line(source, c.span.line)}",
                         "expr": pr.doprint(c.expr)} for c in model.constraints],
        "welfare": [pr.doprint(w) for w in model.welfare] if model.welfare else None,
    }
    module = env.get_template("module.py.j2").render(**ctx)
    tests = env.get_template("test_module.py.j2").render(**_test_context(model, report, spec_path, name))
    return GeneratedFiles(name, module, tests)


def _module_docstring(model: Model, report: Report | None, spec_path: str) -> str:
    path = one_line(spec_path)
    lines = [f"{model.name}" + (f": {model.doc}" if model.doc else ""), "",
             f"Generated by mechc {__version__} from {path}; do not edit. Regenerate with",
             f"    mechc compile {path} -o DIR", ""]
    if report is not None:
        params = ", ".join(f"{k}={v}" for k, v in report.params.items())
        lines.append(f"Verdicts of `mechc check` at compile time{f' ({params})' if params else ''}:")
        width = max((len(p.name) for p in report.properties), default=0)
        for p in report.properties:
            lines.append(f"    {p.name.ljust(width)}  {p.verdict:<13} {p.method}")
        if report.properties:
            lines.append("")
        lines.append(f"Type spaces: {report.space}.")
    else:
        lines.append("Properties were not checked at compile time.")
    lines += ["", "Entry points: evaluate(reports, types=None, *, <parameters>) on many profiles (numpy",
              "arrays), run(reports, types=None, *, <parameters>) on one profile. Requires numpy only."]
    return '"""' + docstring("\n".join(lines)) + '\n"""'


# ---- tests ----

def _value_literal(model: Model, a: int, label: str) -> str:
    ts = model.type_spaces[a]
    if ts.symbolic:
        return json.dumps(label)
    if label.startswith("("):  # a vector type
        parts = [p.strip() for p in label.strip("()").split(",")]
        return "[" + ", ".join(repr(float(Fraction(p))) for p in parts) + "]"
    return repr(float(Fraction(label)))


def _profile_literal(model: Model, by_label: dict) -> str:
    out = []
    for pos in range(model.n_agents):
        out.append(_value_literal(model, pos, by_label[model.agent_label(pos)]))
    return "[" + ", ".join(out) + "]"


def _examples(model: Model, report: Report | None) -> dict[str, list[str]]:
    """@example arguments seeded from the checker's counterexamples, per property test."""
    ex: dict[str, list[str]] = {}
    if report is None:
        return ex
    labels = [model.agent_label(k) for k in range(model.n_agents)]
    for p in report.properties:
        cx = p.counterexample
        if cx is None or p.verdict != "violated":
            continue
        f = cx.fields
        base = p.name.split("(")[0]
        if cx.kind in ("misreport", "interim") and "misreport" in f:
            a = labels.index(f["agent"])
            prof = dict(f.get("others_reports") or {lab: model.type_spaces[k].labels[0]
                                                     for k, lab in enumerate(labels)})
            prof[f["agent"]] = f["true_type"]
            alt = dict(prof, **{f["agent"]: f["misreport"]})
            args = f"agent={a}, profile={_profile_literal(model, prof)}, alt={_profile_literal(model, alt)}"
        elif base == "monotone":
            a = labels.index(f["agent"])
            prof = dict(f["others_reports"])
            prof[f["agent"]] = f["lower_report"]
            alt = dict(prof, **{f["agent"]: f["higher_report"]})
            args = f"agent={a}, profile={_profile_literal(model, prof)}, alt={_profile_literal(model, alt)}"
        elif cx.kind == "profile" and ("types" in f or "reports" in f):
            args = f"profile={_profile_literal(model, f.get('types') or f.get('reports'))}"
        else:
            continue
        ex.setdefault(p.name, []).append(args)
    return ex


def _test_context(model: Model, report: Report | None, spec_path: str, name: str) -> dict:
    spaces = []
    for ts in model.type_spaces:
        if ts.continuous:  # an unbounded type is drawn up to its prior's 1e-9 tail quantiles (6 digits)
            lo, hi = (float(f"{x:.6g}") for x in prior_of(ts).window(TEST_TAIL))
            lo, hi = (float(ts.lo) if ts.lo is not None else lo), (float(ts.hi) if ts.hi is not None else hi)
            spaces.append(f"st.floats({lo!r}, {hi!r}, allow_nan=False)")
        elif ts.symbolic:
            spaces.append("st.sampled_from([" + ", ".join(json.dumps(lbl) for lbl in ts.labels) + "])")
        else:
            spaces.append("st.sampled_from([" + ", ".join(repr(float(v)) for v in ts.values) + "])")
        if ts.items is not None:
            spaces[-1] = f"st.lists({spaces[-1]}, min_size={len(ts.items)}, max_size={len(ts.items)})"
    finite = model.finite
    priors = []
    if finite:
        for ts in model.type_spaces:
            vals = [json.dumps(lbl) if ts.symbolic else repr(float(v)) for lbl, v in zip(ts.labels, ts.values, strict=True)]
            probs = [f"Fraction({p.numerator}, {p.denominator})" for p in ts.probs]
            priors.append(list(zip(vals, probs, strict=True)))
    verdicts = {p.name: p.verdict for p in report.properties} if report else {}
    props, taken = [], set()
    for r in model.requirements:
        test = re.sub(r"[^A-Za-z0-9_]", "_", r.label).strip("_")
        while test in taken:  # one test function per requirement, none shadowing another
            test += "_"
        taken.add(test)
        props.append({"name": r.name, "label": r.label, "test": test,
                      "eps": repr(float(r.args[0])) if r.args else "0.0",
                      "verdict": verdicts.get(r.label, "not checked")})
    names = {r.name for r in model.requirements}
    interim = bool(names & {"bic", "eps_bic", "interim_ir"})
    examples = _examples(model, report)
    return {
        "need_interim": interim and finite, "need_pytest": interim and not finite,
        "need_example": any(examples.values()),
        "need_np": bool(names & {"weak_budget_balance", "strong_budget_balance", "feasible"}) or (interim and finite),
        "module": name, "spec": spec_path, "name": model.name, "version": __version__,
        "n": model.n_agents, "spaces": spaces, "props": props, "examples": examples,
        "finite": finite, "priors": priors, "symbolic": model.type_spaces[0].symbolic,
        "has_items": model.type_spaces[0].items is not None,
        "interim_limit": 200_000,
        "profiles": _fmt(Fraction(1)),
    }
