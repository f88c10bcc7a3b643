"""The command line: argument handling and rendering only; no analysis logic.

Exit codes: 0 every required property holds (or is not refuted), 1 a required property is
violated, 2 the spec or the request is invalid, 3 a resource limit was reached.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import (
    EvalError,
    MechError,
    ResourceLimit,
    SolverFailure,
    SpecError,
    SpecErrors,
    render,
)

if TYPE_CHECKING:
    from rich.console import Console

    from .analysis import Options

from .limits import MAX_BASES, MAX_GAME_CELLS, MAX_PLOT_CELLS, SMT_BUDGET, SMT_TIMEOUT_S

EXIT_OK, EXIT_VIOLATED, EXIT_INVALID, EXIT_RESOURCE = 0, 1, 2, 3
MAX_GRID = 100_001
METHODS = ("auto", "exhaustive", "smt", "symbolic", "search")  # mechc.analysis.METHODS (a test keeps them equal)


# The heavy modules (sympy, numpy, the back ends, rich) load on first use, so --help, --version,
# fmt and completion start as fast as lark does.
def load_text(*args, **kw):
    from .api import load_text as load

    return load(*args, **kw)


def check_model(model, opts):
    from .analysis import check

    return check(model, opts)


def _options(**kw) -> Options:
    from .analysis import Options

    return Options(**kw)


def _check_limits(model, opts) -> None:
    """Refuse a check too large for the limits before anything is allocated (exit 3)."""
    from .analysis.exhaustive import ExhaustiveChecker

    ExhaustiveChecker(model, opts).check_limits()


def _console(**kw) -> Console:
    from rich.console import Console

    return Console(highlight=False, **kw)


MAIN_EXAMPLES = """examples:
  mechc check specs/vickrey.mech                 every required property, with how it is known
  mechc check specs/gsp.mech --format json       a machine-readable report (exit 1: violated)
  mechc compile specs/vickrey.mech -o build/     a standalone module and its property tests
  mechc plot specs/capped_second_price.mech      rules, utilities and regret as a picture
  mechc fmt --check specs/*.mech                 canonical formatting (for pre-commit)

exit codes: 0 no required property violated, 1 one is violated, 2 invalid spec or request,
3 resource limit. Docs: README.md, docs/language.md, docs/guide.md."""

CHECK_EXAMPLES = """examples:
  mechc check specs/vickrey.mech --param n=4 --param reserve=0.3
  mechc check specs/myerson_optimal.mech --grid 101        finer grid for grid checks
  mechc check specs/first_price_interval.mech --method smt z3 only: proved or an exact counterexample
  mechc check specs/posted_price.mech --sweep price=0:1:0.1 --format csv
  mechc check specs/gsp.mech --format junit -o report.xml"""

COMPILE_EXAMPLES = """examples:
  mechc compile specs/vickrey.mech -o build/ && python -m pytest build/
  mechc compile specs/vickrey.mech -o build/ --check       CI: fail when the generated files are stale"""


def _diag(text: str) -> None:
    """A located diagnostic on stderr: coloured on a terminal (unless NO_COLOR), plain otherwise."""
    console = _console(stderr=True, soft_wrap=True)
    if not console.is_terminal or console.no_color:
        print(text, file=sys.stderr)
        return
    from rich.markup import escape

    for k, line in enumerate(text.split("\n")):
        if k == 0:
            line = escape(line).replace(": error:", ": [bold red]error:[/bold red]", 1)
        elif line.startswith("hint:"):
            line = "[cyan]hint:[/cyan]" + escape(line[5:])
        elif line.strip() and set(line.strip()) == {"^"}:
            line = f"[bold red]{line}[/bold red]"
        else:
            line = escape(line)
        console.print(line)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors are exit code 2 with a readable line
        self.print_usage(sys.stderr)
        print(f"mechc: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)


STDIN = "<stdin>"  # the name `mechc check -` gives the spec it reads from standard input
_stdin_text: str | None = None


def _read(name: str) -> str | None:
    """A spec's text, or None after saying why it cannot be read (standard input is read once)."""
    global _stdin_text
    if name == STDIN:
        if _stdin_text is None:
            _stdin_text = sys.stdin.read()
        return _stdin_text
    from .parse import decode_spec

    try:
        return decode_spec(Path(name).read_bytes(), name)
    except OSError as e:
        print(f"mechc: error: cannot read {name}: {getattr(e, 'strerror', None) or e}", file=sys.stderr)
    except SpecErrors as e:
        _failure(e, {})
    return None


def _failure(e: Exception, sources: dict) -> int:
    """Render an error about a spec or a request (located when it has a place); its exit code."""
    if isinstance(e, SpecErrors):
        for x in e.errors:
            _diag(render(x, sources))
        n = len(e.errors)
        print(f"{n} error{'s' if n > 1 else ''} in {next(iter(sources), 'the spec')}", file=sys.stderr)
        return EXIT_INVALID
    if isinstance(e, SpecError):
        _diag(render(e, sources))
        return EXIT_INVALID
    if isinstance(e, EvalError):
        _diag(render(SpecError(e.span, str(e), e.hint), sources))
        return EXIT_INVALID
    if isinstance(e, ResourceLimit):  # a flag raises the limit; otherwise the hint says what to change
        hint = (f"raise the limit with {e.flag}, or check a smaller instance (--param, --grid)"
                if e.flag.startswith("--") else f"{e.flag}: no flag raises this limit")
        print(f"mechc: resource limit: {e}\nhint: {hint}", file=sys.stderr)
        return EXIT_RESOURCE
    if isinstance(e, SolverFailure):
        print(f"mechc: solver failure: {e}\nhint: {e.hint}", file=sys.stderr)
        return EXIT_RESOURCE
    print(f"mechc: error: {e}", file=sys.stderr)  # any other MechError (design, plot)
    return EXIT_INVALID


def _param(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--param expects NAME=VALUE, got '{text}'")
    k, v = text.split("=", 1)
    return k.strip(), v.strip()


def _tol(text: str) -> float:
    try:
        e = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--tol expects a number, got '{text}'") from None
    if not (1e-12 <= e <= 1e6):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"--tol must be between 1e-12 and 1e6, got '{text}'")
    return e


def _count(text: str) -> int:
    """A positive count given as an integer or in e-notation (3e7): a budget or a limit."""
    try:
        k = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not (1 <= k < 1e18):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected a number between 1 and 1e18, got '{text}'")
    return int(k)


def _positive(text: str) -> float:
    """A limit given on the command line: a finite positive number (nan and inf are refused)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not (0 < x < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got '{text}'")
    return x


def _grid(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--grid expects an integer, got '{text}'") from None
    if not 2 <= k <= MAX_GRID:
        raise argparse.ArgumentTypeError(f"--grid must be between 2 and {MAX_GRID}, got {k}")
    return k


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mechc", description="Check, compile and design mechanisms from .mech specs.",
                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=MAIN_EXAMPLES)
    p.add_argument("--version", action="version", version=f"mechc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("check", help="check every property a spec requires",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=CHECK_EXAMPLES)
    verbosity = c.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print one summary line")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="also print each property's statistics")
    c.add_argument("files", nargs="+", metavar="FILE",
                   help="the .mech specs: files, folders (every .mech file under them) or '-' (standard input); "
                        "every block of every file is checked (a design is designed, a game solved)")
    c.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE",
                   help="override a parameter (repeatable)")
    c.add_argument("--grid", type=_grid, default=None, metavar="K",
                   help="points per real interval (default 21); a grid gives passed-search, not a proof")
    c.add_argument("--format", choices=("text", "json", "junit", "csv"), default="text",
                   help="text (default), json (schema: mechc/schema/report.schema.json), junit XML; "
                        "csv for --sweep tables")
    c.add_argument("--sweep", default=None, metavar="NAME=START:STOP:STEP",
                   help="check at every value of a parameter (inclusive range) and print a table of "
                        "verdicts and measures")
    c.add_argument("--mechanism", default=None, help="which mechanism of a multi-mechanism file")
    c.add_argument("--method", choices=METHODS, default="auto",
                   help="auto: exhaustive on finite spaces; on intervals z3 proofs, then a grid and a regret "
                        "search for what z3 leaves open; exhaustive: enumeration/grid only; smt: z3 only; "
                        "search: regret search only")
    c.add_argument("--seed", type=int, default=0,
                   help="seed of the regret search and of quasi-Monte Carlo expectations (default 0)")
    c.add_argument("--tol", type=_tol, default=1e-4, metavar="E",
                   help="absolute error target of expectations that are not exact: sampling continues until "
                        "the standard error is at most E/3 (default 1e-4)")
    c.add_argument("--smt-budget", type=_count, default=SMT_BUDGET, metavar="N",
                   help="z3 work budget per query, in z3's deterministic rlimit units (default 1e7, at most about "
                        "4.29e9); beyond it a property is unknown, the same on any machine")
    c.add_argument("--timeout", type=_positive, default=SMT_TIMEOUT_S, metavar="S",
                   help="z3 wall-clock safety net per query (default 120); the budget normally decides first")
    c.add_argument("--exact", choices=("auto", "always", "never"), default="auto",
                   help="exact rational arithmetic: auto (small spaces), always, never")
    c.add_argument("--max-cells", type=_positive, default=4e9, metavar="N",
                   help="refuse checks needing more than N utility evaluations (default 4e9)")
    c.add_argument("--max-memory", type=_positive, default=4.0, metavar="GB",
                   help="refuse checks needing more than GB gibibytes of arrays (default 4)")
    c.add_argument("-o", "--output", default=None, help="write the report to this file instead of stdout")
    d = sub.add_parser("design", help="solve a design block: the optimal mechanism, re-verified")
    d.add_argument("file", help="the .mech spec with a design block")
    d.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE")
    d.add_argument("--grid", type=_grid, default=None, metavar="K", help="grid for real intervals")
    d.add_argument("--mechanism", default=None, help="which block of a multi-block file")
    d.add_argument("--solver", default="HIGHS", help="cvxpy solver (default HIGHS)")
    d.add_argument("--format", choices=("text", "json"), default="text")
    d.add_argument("-o", "--output", default=None, metavar="DIR",
                   help="write the designed mechanism as a .mech spec (and its generated module) to DIR; a "
                        "contract as <spec>_contract.json")
    d.add_argument("--no-extrapolation", action="store_true",
                   help="real intervals: solve on the grid only, without the ladder of coarser grids that "
                        "estimates the continuum optimum")
    so = sub.add_parser("solve", help="equilibria of a game block (pure Nash, dominant strategies)")
    so.add_argument("file", help="the .mech spec with a game block")
    so.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE")
    so.add_argument("--mechanism", default=None, help="which block of a multi-block file")
    so.add_argument("--format", choices=("text", "json"), default="text")
    so.add_argument("--cross-check", action="store_true",
                    help="compare the mixed equilibria with Gambit's (needs pip install mechc[gambit])")
    so.add_argument("--sweep", default=None, metavar="NAME=START:STOP:STEP",
                    help="solve once per parameter value: one row of equilibria per value")
    so.add_argument("--max-cells", type=_count, default=MAX_GAME_CELLS, metavar="N",
                    help="refuse games with more than N payoffs to evaluate, profiles x players (default 5e7)")
    so.add_argument("--max-bases", type=_count, default=MAX_BASES, metavar="N",
                    help="refuse mixed equilibria of two-player games needing more than N candidate bases, "
                         "C(m + n, m) (default 2e7)")
    so.add_argument("--write-nfg", default=None, metavar="FILE", help="also write the game as a Gambit .nfg file")
    so.add_argument("--correlated", action="store_true",
                    help="also the correlated equilibria of highest and lowest total payoff (a linear program)")
    cv = sub.add_parser("convert", help="convert a game between .mech and Gambit's .nfg (by the file extensions)")
    cv.add_argument("input", help="a .mech game spec or a .nfg file")
    cv.add_argument("output", help="the .nfg or .mech file to write ('-' for stdout, as the other format)")
    cv.add_argument("--mechanism", default=None, help="which block of a multi-block file")
    cv.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE")
    pl = sub.add_parser("plot", help="draw rules, utilities and regret (and measures over a sweep)")
    pl.add_argument("file", help="the .mech spec")
    pl.add_argument("-o", "--output", default=None, help="image file (default: <spec>.png)")
    pl.add_argument("--agent", default=None, help="which agent to draw (default: the first)")
    pl.add_argument("--others", action="append", type=_param, default=[], metavar="AGENT=REPORT",
                    help="fix another agent's report (default: the middle of its type space)")
    pl.add_argument("--average", action="store_true",
                    help="average over the others' reports under their prior instead of fixing them")
    pl.add_argument("--grid", type=_grid, default=101, metavar="K", help="points along the own report (default 101)")
    pl.add_argument("--mechanism", default=None, help="which block of a multi-block file")
    pl.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE")
    pl.add_argument("--sweep", default=None, metavar="NAME=START:STOP:STEP", help="also plot measures against a parameter")
    pl.add_argument("--max-cells", type=_count, default=MAX_PLOT_CELLS, metavar="N",
                    help="refuse plots evaluating more than N utilities, own report x true type (default 5e7)")
    cp = sub.add_parser("completion", help="print a shell completion script: eval \"$(mechc completion)\"")
    cp.add_argument("shell", nargs="?", choices=("bash", "zsh", "fish"), default="bash",
                    help="bash (default; eval \"$(mechc completion)\"), zsh (eval \"$(mechc completion zsh)\") or "
                         "fish (mechc completion fish | source)")
    f = sub.add_parser("fmt", help="format specs canonically (in place), keeping comments")
    f.add_argument("files", nargs="+", metavar="FILE", help=".mech files")
    f.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    k = sub.add_parser("compile", help="emit a standalone Python module and its property tests",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=COMPILE_EXAMPLES)
    k.add_argument("file", help="the .mech spec")
    k.add_argument("-o", "--output", default="build", metavar="DIR", help="output directory (default: build)")
    k.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE",
                   help="override a parameter (the compiled default; still a keyword argument)")
    k.add_argument("--grid", type=_grid, default=None, metavar="K", help="grid for the compile-time check")
    k.add_argument("--mechanism", default=None, help="which mechanism of a multi-mechanism file")
    k.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the files on disk differ from what would be generated")
    k.add_argument("--no-verify", action="store_true",
                   help="skip the compile-time property check (no verdicts, no pinned counterexamples)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "fmt":
            return _fmt(args)
        if args.command == "completion":
            from .completion import script

            sys.stdout.write(script(build_parser(), args.shell))
            return EXIT_OK
        if args.command == "plot":
            return _plot(args)
        if args.command == "design":
            return _design(args)
        if args.command == "solve":
            return _solve(args)
        if args.command == "convert":
            return _convert(args)
        err = _console(stderr=True)  # progress bars of long checks
        return _compile(args, err) if args.command == "compile" else _check(args, err)
    except KeyboardInterrupt:
        print("mechc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mechc ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # a bug in mechc, not in the spec: say so without a traceback
        if os.environ.get("MECHC_DEBUG"):
            raise
        print(f"mechc: internal error: {type(e).__name__}: {e}\n"
              "this is a bug in mechc, not in your spec; rerun with MECHC_DEBUG=1 for the traceback "
              "and report it with the spec", file=sys.stderr)
        return EXIT_INVALID


def _spec_files(names: list[str]) -> list[str] | None:
    """The specs named on the command line: files as given, every .mech file under a folder
    (sorted), '-' for standard input; None after saying which name does not exist."""
    out = []
    for name in names:
        if name == "-":
            out.append(STDIN)
        elif Path(name).is_dir():
            found = sorted(str(p) for p in Path(name).rglob("*.mech") if p.is_file())
            if not found:
                print(f"mechc: error: no .mech file under {name}", file=sys.stderr)
                return None
            out += found
        else:
            out.append(name)
    return out


def _check(args, err: Console) -> int:
    """Check every spec given; the worst exit code wins (3 resource > 2 invalid > 1 violated)."""
    files = _spec_files(args.files)
    if files is None:
        return EXIT_INVALID
    if len(files) > 1 and (args.format != "text" or args.output or args.sweep):
        print(f"mechc: error: --format {args.format}, --sweep and -o take one spec; {len(files)} were given\n"
              "hint: run mechc check once per spec for machine-readable reports", file=sys.stderr)
        return EXIT_INVALID
    worst = EXIT_OK
    for name in files:
        worst = max(worst, _check_file(argparse.Namespace(**{**vars(args), "file": name}), err))
    return worst


def _check_file(args, err: Console) -> int:
    """One spec: every block in it, each by the command that handles its kind."""
    text = _read(args.file)
    if text is None:
        return EXIT_INVALID
    sources = {args.file: text}
    if args.sweep:
        return _sweep(args, text, sources, err)
    if args.mechanism is None:
        from .parse import parse

        try:
            blocks = [b.name for b in parse(text, args.file).mechanisms]
        except (SpecErrors, ResourceLimit) as e:
            return _failure(e, sources)
        if len(blocks) > 1:
            if args.format != "text" or args.output:
                print(f"mechc: error: {args.file} holds {len(blocks)} blocks ({', '.join(blocks)}); --format "
                      f"{args.format} and -o report one\nhint: pick one with --mechanism NAME", file=sys.stderr)
                return EXIT_INVALID
            return max(_check_block(argparse.Namespace(**{**vars(args), "mechanism": b}), text, err)
                       for b in blocks)
    return _check_block(args, text, err)


def _by_kind(args, model) -> int:
    """A design, contract or game block under `mechc check`: designed or solved as `mechc design` or
    `mechc solve` does (so a folder, a hook or a multi-block file can hold every kind)."""
    command = "solve" if model.kind == "game" else "design"
    if args.format not in ("text", "json") or args.output:
        print(f"mechc: error: {args.file} holds {model.kind} {model.name}: --format {args.format} and -o are for "
              f"mechanisms\nhint: run 'mechc {command} {args.file}'", file=sys.stderr)
        return EXIT_INVALID
    print(f"mechc: note: {args.file} holds {model.kind} {model.name}: "
          f"{'solved' if command == 'solve' else 'designed and re-verified'} as 'mechc {command}' does",
          file=sys.stderr)
    common = {"file": args.file, "param": args.param, "mechanism": model.name, "format": args.format}
    if command == "solve":
        return _solve(argparse.Namespace(**common, cross_check=False, sweep=None, write_nfg=None,
                                         max_cells=MAX_GAME_CELLS, max_bases=MAX_BASES))
    return _design(argparse.Namespace(**common, grid=args.grid, solver="HIGHS", output=None, no_extrapolation=False))


def _check_block(args, text: str, err: Console) -> int:
    sources = {args.file: text}
    try:
        model = load_text(text, args.file, dict(args.param), args.mechanism)
        if model.kind in ("design", "contract", "game"):
            return _by_kind(args, model)
        opts = _options(grid=args.grid, max_cells=int(args.max_cells), max_memory_gb=args.max_memory, exact=args.exact,
                        method=args.method, timeout=args.timeout, smt_budget=args.smt_budget, seed=args.seed,
                        tol=args.tol)
        _check_limits(model, opts)
        report = _run_with_progress(lambda: check_model(model, opts), opts, err)
    except (SpecErrors, EvalError, ResourceLimit) as e:
        return _failure(e, sources)
    except MemoryError:
        print("mechc: resource limit: out of memory; lower --grid or --max-memory", file=sys.stderr)
        return EXIT_RESOURCE
    if args.format in ("json", "junit"):
        from .render import to_json, to_junit

        out = to_json(report) if args.format == "json" else to_junit(report)
        if args.output:
            Path(args.output).write_text(out, encoding="utf-8")
        else:
            sys.stdout.write(out)
    else:
        from .render import to_text

        console = _console(file=open(args.output, "w", encoding="utf-8") if args.output else None, soft_wrap=True)
        to_text(report, console, -1 if args.quiet else (1 if args.verbose else 0))
    return report.exit_code


MAX_SWEEP = 1000


def _design(args) -> int:
    import json

    from .design import DesignError, describe_rules, rules_data, solve_design

    path = Path(args.file)
    text = _read(args.file)
    if text is None:
        return EXIT_INVALID
    sources = {args.file: text}
    try:
        model = load_text(text, args.file, dict(args.param), args.mechanism)
        if model.kind == "contract":
            return _contract(args, model)
        result = solve_design(model, args.grid, args.solver.upper(), extrapolate=not args.no_extrapolation)
    except (SpecErrors, EvalError, ResourceLimit, DesignError) as e:
        return _failure(e, sources)
    ok = result.status in ("optimal", "optimal_inaccurate")
    # with --format json stdout holds exactly one JSON document: messages go to stderr
    say = (lambda line: print(line, file=sys.stderr)) if args.format == "json" else print
    written = _write_design(result, path, args.output, say) if ok and args.output else []
    if args.format == "json":
        out = {"spec": args.file, "name": model.name, "status": result.status, "sense": model.objective[0],
               "objective": result.objective, "objective_exact": result.objective_exact,
               "certified": result.objective_exact is not None, "certificate": result.certificate or None,
               "solver_objective": result.solver_objective, "verified_objective": result.verified_objective,
               "discretisation": result.discretisation, "grid": result.grid if result.discretisation else None,
               "continuum": result.continuum.to_json() if result.continuum else None,
               "solver": result.solver, "program": result.program, "variables": result.variables,
               "rows": result.rows, "rules": rules_data(result) if ok else None,
               "timings": {"build_s": result.build_s, "solve_s": result.solve_s, **result.timings},
               "verification": result.verification.to_json() if result.verification else None,
               "notes": result.notes, "written": written}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return EXIT_OK if ok else 1
    rows = ", ".join(f"{k}: {v}" for k, v in result.rows.items())
    print(f"{model.name} ({args.file}): {model.objective[0]} the expectation of the objective")
    if result.discretisation:
        print(f"  real intervals: {result.discretisation}")
    print(f"  {result.program}: {result.variables:,} variables, rows {rows}; built in {result.build_s:.3f} s, "
          f"{result.solver} solved in {result.solve_s:.3f} s: {result.status}")
    if ok:
        on = " on the grid" if result.discretisation else ""
        print(f"  objective{on}: " + _objective_text(result.objective, result.objective_exact,
                                                      result.verified_objective, result.certificate))
        if result.discretisation:
            print("  note: this is the optimum of the discretised problem (a grid value), not of the continuous one")
            print("  " + _continuum_text(result.continuum, args.no_extrapolation))
        if result.verification is not None:
            checks = ", ".join(f"{p.name} {p.verdict}" for p in result.verification.properties)
            print(f"  re-verified by the checker: {checks}")
        print("  designed rules:")
        for line in describe_rules(result):
            print("    " + line)
    else:
        print(f"  no optimal mechanism: the program is {result.status}")
    for n in result.notes:
        print(f"  note: {n}")
    return EXIT_OK if ok else 1


def _objective_text(value: float, exact: str | None, verified: str | None, certificate: str) -> str:
    """The objective as "exact" only when certified; otherwise the float optimum and, apart, the
    exact objective of the best re-verified rational solution."""
    if exact is not None:
        return f"{value:.6g} (exact {exact}, certified optimal: {certificate})"
    out = f"{value:.10g} (the solver's float optimum; not certified exact: {certificate or 'no certificate'})"
    if verified is not None:
        out += f"; best verified rational solution: {verified}"
    return out


def _continuum_text(est, skipped: bool) -> str:
    if skipped:
        return "continuum estimate: not computed (--no-extrapolation)"
    if est is None or est.value is None:
        return f"continuum estimate: none ({est.reason if est else 'no ladder of grids was solved'})"
    grids = ", ".join(f"{k}: {v:.6g}" for k, v in sorted(est.grid_values.items()))
    order = f"observed order {est.order:.2f}; " if est.order is not None else ""
    return (f"continuum estimate: {est.value:.6g} ± {est.error:.2g} ({order}{est.method}; grid optima {grids})")


def _write_design(result, path: Path, out: str, say) -> list[str]:
    """Write the designed mechanism (spec, module, tests) to out; the files written."""
    from .codegen import generate
    from .design import designed_spec

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_text = designed_spec(result)
    if spec_text is None:
        print("mechc: note: the report space is too large to write the design out as a .mech spec; nothing "
              "written", file=sys.stderr)
        return []
    target = out_dir / f"{path.stem}_designed.mech"
    target.write_text(spec_text, encoding="utf-8")
    written = [str(target)]
    designed = load_text(spec_text, str(target))
    report = check_model(designed, _options())
    for name, content in generate(designed, report, spec_text, str(target)).files().items():
        (out_dir / name).write_text(content, encoding="utf-8")
        written.append(str(out_dir / name))
    for w in written:
        say(f"wrote {w}")
    return written


def _contract(args, model) -> int:
    import json

    from .design import solve_contract

    r = solve_contract(model, args.solver.upper())
    ok = r.status in ("optimal", "optimal_inaccurate")

    def show(v):
        return f"{float(v):.6g}" + (f" ({v.numerator}/{v.denominator})" if getattr(v, "denominator", 1) != 1 else "")

    def exact(v):
        return str(v) if hasattr(v, "denominator") else float(v)

    out = {"spec": args.file, "name": model.name, "status": r.status, "objective": r.objective,
           "objective_exact": r.objective_exact, "certified": r.objective_exact is not None,
           "certificate": r.certificate or None, "verified_objective": r.verified_objective,
           "implement": r.target, "variables": r.decisions,
           "decisions": {f"{n}[{k}]": float(v) for (n, k), v in r.wages.items()},
           "decisions_exact": {f"{n}[{k}]": exact(v) for (n, k), v in r.wages.items()},
           "values": {k: float(v) for k, v in r.values.items()}, "checks": r.checks, "rows": r.rows,
           "timings": {"solve_s": r.solve_s}, "notes": r.notes}
    say = (lambda line: print(line, file=sys.stderr)) if args.format == "json" else print
    if ok and args.output:
        # a contract has no mechanism block to emit: the designed contract is written as its JSON
        # document (exact wages, objective, certificate, exact re-checks)
        out_dir = Path(args.output)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{Path(args.file).stem}_contract.json"
        target.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        out["written"] = [str(target)]
        say(f"wrote {target} (the designed contract: exact wages, objective, certificate and re-checks)")
    elif args.output:
        say(f"mechc: note: no optimal contract, nothing written to {args.output}")
    if args.format == "json":
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return EXIT_OK if ok else 1
    what = r.target if model.extra["implement"][0] != "*" else f"the best of {model.extra['implement'][2].name}: {r.target}"
    print(f"{model.name} ({args.file}): implement {what}, {model.objective[0]} the objective")
    print(f"  LP: {r.decisions} decisions, rows {', '.join(f'{k}: {v}' for k, v in r.rows.items())}; "
          f"solved in {r.solve_s:.3f} s: {r.status}")
    if not ok:
        print(f"  no contract implements {r.target}: the program is {r.status}")
        return 1
    print("  objective: " + _objective_text(r.objective, r.objective_exact, r.verified_objective, r.certificate))
    for (n, k), v in r.wages.items():
        print(f"    {n}[{k}] = {show(v)}")
    for k, v in r.values.items():
        print(f"  {k} = {show(v)}")
    print("  re-checked in exact arithmetic: " + ", ".join(f"{k} {'holds' if v else 'FAILS'}" for k, v in r.checks.items()))
    for n in r.notes:
        print(f"  note: {n}")
    return EXIT_OK


def _game_text(path: str, text: str) -> str:
    """A game's .mech text: .nfg files are converted to a spec with a payoff table."""
    if not path.endswith(".nfg"):
        return text
    from .games.nfg import read_nfg, to_mech

    return to_mech(read_nfg(text, path), Path(path).stem.title().replace("_", "").replace("-", "") or "Imported")


def _convert(args) -> int:
    from .games import payoff_arrays, payoff_name
    from .games.nfg import from_model, write_nfg

    text = _read(args.input)
    if text is None:
        return EXIT_INVALID
    sources = {args.input: text}
    try:
        if args.input.endswith(".nfg"):
            out = _game_text(args.input, text)
        else:
            model = load_text(text, args.input, dict(args.param), args.mechanism)
            if model.kind != "game":
                raise MechError(f"{args.input} holds {model.kind} {model.name}, not a game")
            if any(ts.continuous for ts in model.type_spaces):
                raise MechError(f"game {model.name} has continuous strategies; .nfg holds finite games only")
            U, gs, _ = payoff_arrays(model, exact=True)
            out = write_nfg(from_model(model, U, gs, -1 if payoff_name(model) == "cost" else 1))
    except (SpecErrors, EvalError, MechError) as e:
        return _failure(e, sources)
    if args.output == "-":
        sys.stdout.write(out)
    else:
        Path(args.output).write_text(out)
        print(f"wrote {args.output}")
    return EXIT_OK


def _solve(args) -> int:
    import json

    from .games import solution_json, solution_lines, solve

    text = _read(args.file)
    if text is None:
        return EXIT_INVALID
    sources = {args.file: text}
    try:
        text = _game_text(args.file, text)
        sources[args.file] = text
        if args.sweep:
            return _solve_sweep(args, text)
        model = load_text(text, args.file, dict(args.param), args.mechanism)
        sol = solve(model, cross_check=args.cross_check, max_cells=int(args.max_cells), max_bases=int(args.max_bases),
                    correlated=getattr(args, "correlated", False))
    except (SpecErrors, EvalError, MechError) as e:
        return _failure(e, sources)
    if args.write_nfg:
        if getattr(sol, "normal_form", None) is None:
            print("mechc: --write-nfg: only finite games have a strategic form", file=sys.stderr)
            return EXIT_INVALID
        from .games.nfg import write_nfg

        Path(args.write_nfg).write_text(write_nfg(sol.normal_form))
    if args.format == "json":
        sys.stdout.write(json.dumps({"spec": args.file, **solution_json(model, sol)}, indent=2) + "\n")
        return EXIT_VIOLATED if any(p["verdict"] == "violated" for p in sol.properties) else EXIT_OK
    if hasattr(sol, "profiles"):
        print(f"{model.name} ({args.file}): {len(sol.players)} players, {sol.profiles:,} strategy profiles"
              + (" (exact arithmetic)" if sol.exact else " (float64, re-checked exactly)"))
    else:
        print(f"{model.name} ({args.file}): {len(sol.players)} players, strategies in "
              + ", ".join(f"[{lo}, {hi}]" for lo, hi in sol.bounds))
    for line in solution_lines(sol):
        print("  " + line)
    return EXIT_VIOLATED if any(p["verdict"] == "violated" for p in sol.properties) else EXIT_OK


def _solve_sweep(args, text: str) -> int:
    """One solve per parameter value; a row per value: equilibria, requirement verdicts, PoA."""
    import json

    from .games import ContinuousSolution, solve

    name, values = _sweep_values(args.sweep)
    rows, worst = [], EXIT_OK
    for v in values:
        model = load_text(text, args.file, {**dict(args.param), name: _fmt_value(v)}, args.mechanism)
        sol = solve(model, max_cells=int(args.max_cells), max_bases=int(args.max_bases))
        row = {name: _fmt_value(v)}
        if isinstance(sol, ContinuousSolution):
            row["equilibria"] = ["(" + ", ".join(str(x) for x in e.profile) + ")" for e in sol.equilibria]
        else:
            row["equilibria"] = ["(" + ", ".join(p) + ")" for p, _ in sol.equilibria]
            if sol.mixed is not None:
                row["all_equilibria"] = len(sol.mixed.equilibria)
            if sol.welfare and "price_of_anarchy" in sol.welfare:
                row["price_of_anarchy"] = str(sol.welfare["price_of_anarchy"])
        row.update({p["label"]: p["verdict"] for p in sol.properties})
        if any(p["verdict"] == "violated" for p in sol.properties):
            worst = EXIT_VIOLATED
        rows.append(row)
    if args.format == "json":
        sys.stdout.write(json.dumps({"spec": args.file, "sweep": name, "rows": rows}, indent=2) + "\n")
        return worst
    for r in rows:
        rest = "; ".join(f"{k} {val}" for k, val in r.items() if k not in (name, "equilibria"))
        shown = r["equilibria"] if len(r["equilibria"]) <= 4 else [*r["equilibria"][:3], f"... ({len(r['equilibria'])} in all)"]
        eqs = " ".join(shown) or "no pure equilibrium"
        print(f"{name} = {r[name]}: {eqs}" + (f"; {rest}" if rest else ""))
    return worst


def _plot(args) -> int:
    from .plot import draw, plot_data

    path = Path(args.file)
    text = _read(args.file)
    if text is None:
        return EXIT_INVALID
    sources = {args.file: text}
    try:
        model = load_text(text, args.file, dict(args.param), args.mechanism)
        labels = [model.agent_label(k) for k in range(model.n_agents)]
        if args.agent is not None and args.agent not in labels:
            raise SpecError(None, f"--agent {args.agent}: no such agent; the agents are {', '.join(labels)}")
        data = plot_data(model, labels.index(args.agent) if args.agent else 0, args.grid, dict(args.others),
                         average=args.average, max_cells=int(args.max_cells))
        sweep = None
        if args.sweep:
            name, values = _sweep_values(args.sweep)
            series: dict = {}
            agent = labels.index(args.agent) if args.agent else 0
            for v in values:
                m_v = load_text(text, args.file, {**dict(args.param), name: _fmt_value(v)}, args.mechanism)
                rep = check_model(m_v, _options())
                for k, m in rep.metrics.items():
                    series.setdefault(k, []).append(m.value)
                regret = plot_data(m_v, agent, args.grid, dict(args.others), max_cells=int(args.max_cells)).regret.max()
                series.setdefault(f"max regret of agent {labels[agent]} (others fixed)", []).append(float(regret))
            sweep = (name, [float(v) for v in values], series)
        out = args.output or str(path.with_suffix(".png").name)
        draw(model, data, out, sweep)
    except MechError as e:
        return _failure(e, sources)
    print(f"wrote {out}")
    return EXIT_OK


def _fmt(args) -> int:
    import difflib

    from .fmt import format_text

    changed, failed = 0, False
    for name in args.files:
        text = _read(name)
        if text is None:
            failed = True
            continue
        try:
            new = format_text(text, name)
        except SpecErrors as e:
            _failure(e, {name: text})
            failed = True
            continue
        if new == text:
            continue
        changed += 1
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                       f"{name} (as is)", f"{name} (formatted)"))
        else:
            Path(name).write_text(new, encoding="utf-8")
            print(f"formatted {name}")
    if failed:
        return EXIT_INVALID
    return 1 if (args.check and changed) else EXIT_OK


def _sweep_values(spec: str) -> tuple[str, list]:
    from fractions import Fraction

    name, _, rng = spec.partition("=")
    parts = rng.split(":")
    try:
        if not name or len(parts) != 3:
            raise ValueError
        start, stop, step = (Fraction(p.strip()) for p in parts)
        if step <= 0 or stop < start:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise SpecError(None, f"--sweep {spec}: expected NAME=START:STOP:STEP with STEP > 0 and START <= STOP",
                        "e.g. --sweep reserve=0:1:0.05") from None
    count = int((stop - start) / step) + 1
    if count > MAX_SWEEP:
        raise SpecError(None, f"--sweep {spec} has {count} points; the limit is {MAX_SWEEP}")
    values = [start + k * step for k in range(count)]
    return name.strip(), values


def _fmt_value(v) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def _sweep(args, text: str, sources: dict, err: Console) -> int:
    import csv
    import io
    import json

    try:
        name, values = _sweep_values(args.sweep)
        rows, worst = [], 0
        for v in values:
            params = {**dict(args.param), name: _fmt_value(v)}
            model = load_text(text, args.file, params, args.mechanism)
            opts = _options(grid=args.grid, exact=args.exact, method=args.method, timeout=args.timeout,
                            smt_budget=args.smt_budget, seed=args.seed, max_cells=int(args.max_cells),
                            max_memory_gb=args.max_memory, tol=args.tol)
            _check_limits(model, opts)
            report = check_model(model, opts)
            worst = max(worst, report.exit_code)
            row = {name: _fmt_value(v)}
            row.update({p.name: p.verdict for p in report.properties})
            row.update({k: m.value for k, m in report.metrics.items()})
            rows.append(row)
    except (SpecErrors, SpecError, EvalError, ResourceLimit) as e:
        return _failure(e, sources)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    if args.format == "json":
        out = json.dumps({"spec": args.file, "sweep": name, "rows": rows}, indent=2) + "\n"
    elif args.format == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        out = buf.getvalue()
    else:
        from rich.table import Table

        table = Table(title=f"{args.file}: sweep of {name}")
        for c in cols:
            table.add_column(c)
        for r in rows:
            table.add_row(*[f"{r[c]:.6g}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols])
        console = _console(file=io.StringIO(), width=max(80, 14 * len(cols)))
        console.print(table)
        out = console.file.getvalue()
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return worst


def _compile(args, err: Console) -> int:
    from .codegen import generate

    text = _read(args.file)
    if text is None:
        return EXIT_INVALID
    sources = {args.file: text}
    report = None
    try:
        model = load_text(text, args.file, dict(args.param), args.mechanism)
        if not args.no_verify:
            try:
                opts = _options(grid=args.grid)
                _check_limits(model, opts)
                report = _run_with_progress(lambda: check_model(model, opts), opts, err)
            except ResourceLimit as e:
                print(f"mechc: warning: properties not checked at compile time: {e}", file=sys.stderr)
        files = generate(model, report, text, args.file).files()
    except (SpecErrors, EvalError) as e:
        return _failure(e, sources)
    out = Path(args.output)
    if args.check:
        stale = [name for name, content in files.items()
                 if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != content]
        for name in stale:
            print(f"mechc: {out / name} is out of date with {args.file}", file=sys.stderr)
        return 1 if stale else EXIT_OK
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_text(content, encoding="utf-8")
        print(f"wrote {out / name}")
    import importlib.util

    if importlib.util.find_spec("hypothesis") is None:
        print(f"mechc: warning: the generated tests import hypothesis, which is not installed here; "
              f"before 'python -m pytest {out}' run: pip install hypothesis (or pip install 'mechc[test]')",
              file=sys.stderr)
    if report is not None:
        for p in report.properties:
            if p.verdict == "violated":
                print(f"mechc: warning: {p.name} is violated; test_{files and next(iter(files))[:-3]}.py will "
                      f"fail with the counterexample ({p.counterexample.summary})", file=sys.stderr)
    return EXIT_OK


def _run_with_progress(run, opts: Options, err: Console):
    """Run a check; show a progress bar on stderr when it takes more than a second on a terminal."""
    if not err.is_terminal:
        return run()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    start = time.monotonic()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                        transient=True)
    task = None

    def update(stage: str, frac: float):
        nonlocal task
        if task is None and time.monotonic() - start > 1.0:
            progress.start()
            task = progress.add_task(stage, total=1.0)
        if task is not None:
            progress.update(task, completed=frac, description=stage)

    opts.progress = update
    try:
        return run()
    finally:
        if task is not None:
            progress.stop()


def check_each(argv: list[str] | None = None) -> int:
    """`mechc check FILE...` (kept for pre-commit configurations that name this script)."""
    files = sys.argv[1:] if argv is None else argv
    return main(["check", *files]) if files else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
