"""Benchmark: time to a z3 proof of dsic for second price with reserve, n = 2..6, end to end from
the .mech file (parse, sema, lower, translate, solve every agent), against the same property posed
directly in z3 by hand (the solver-only floor); and time to a counterexample for first price.

    python bench/bench_smt.py

Each figure is the best of 5 runs in one process.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import z3

import mechc
from mechc.analysis.smt import check_smt

ROOT = Path(__file__).resolve().parent.parent
RESERVE = Fraction(1, 4)


def hand_second_price(n: int) -> str:
    """dsic of second price with reserve, posed by hand: one query per bidder, all unsat."""
    for i in range(n):
        c = z3.Context()
        v = z3.Real("v", c)
        lie = z3.Real("lie", c)
        b = [z3.Real(f"b{j}", c) for j in range(n)]
        r = z3.RealVal(f"{RESERVE.numerator}/{RESERVE.denominator}", c)
        dom = [z3.And(x >= 0, x <= 1) for x in [v, lie, *b]]
        others = [b[j] for j in range(n) if j != i]

        def utility(z, others=others, i=i, b=b, r=r, v=v):
            wins = z3.And(z >= r, *[z > b[j] for j in range(i)], *[z >= b[j] for j in range(i + 1, n)])
            price = r
            for o in others:
                price = z3.If(o > price, o, price)
            return z3.If(wins, v - price, 0)

        s = z3.Solver(ctx=c)
        s.add(*dom, utility(lie) > utility(v))
        if s.check() != z3.unsat:
            return "not proved"
    return "proved"


def hand_first_price_counterexample() -> str:
    c = z3.Context()
    v, lie, o = (z3.Real(x, c) for x in ("v", "lie", "o"))
    s = z3.Solver(ctx=c)

    def u(z):
        return z3.If(z >= o, v - z, 0)

    s.add(*[z3.And(x >= 0, x <= 1) for x in (v, lie, o)], u(lie) > u(v))
    return "violated" if s.check() == z3.sat else "?"


def mechc_dsic(spec: str, n: int | None) -> str:
    model = mechc.load(ROOT / spec, params={"n": str(n)} if n else None)
    req = next(r for r in model.requirements if r.name == "dsic")
    return check_smt(model, req).verdict


def best(fn, reps: int = 5) -> tuple[float, str]:
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    print(f"{'case':<34} {'mechc (e2e)':>12} {'z3 by hand':>12} {'ratio':>7}  verdicts")
    for n in range(2, 7):
        tm, vm = best(lambda n=n: mechc_dsic("specs/second_price_interval.mech", n))
        th, vh = best(lambda n=n: hand_second_price(n))
        print(f"{'second price + reserve, n=' + str(n):<34} {tm:>11.3f}s {th:>11.3f}s {tm / th:>6.1f}x  {vm} / {vh}")
    tm, vm = best(lambda: mechc_dsic("specs/first_price_interval.mech", None))
    th, vh = best(hand_first_price_counterexample)
    print(f"{'first price n=2, counterexample':<34} {tm:>11.3f}s {th:>11.3f}s {tm / th:>6.1f}x  {vm} / {vh}")


if __name__ == "__main__":
    main()
