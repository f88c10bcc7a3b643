"""specs/llm/power_control.mech and specs/llm/inference_routing_braess.mech: equilibria, welfare and
price of anarchy, each figure recomputed here independently (exact fractions, or numpy/scipy for
the log-SINR game) and compared with mechc solve."""

import itertools
import math
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

import mechc
from mechc.games import solve

ROOT = Path(__file__).resolve().parents[2]
POWER = ROOT / "specs" / "llm" / "power_control.mech"
BRAESS = ROOT / "specs" / "llm" / "inference_routing_braess.mech"

# --- power control -------------------------------------------------------------------------------
# Defaults of the spec: spreading gain L = 3, noise 1, price 1/2, pmax 2.
L, NOISE, PRICE, PMAX = F(3), F(1), F(1, 2), F(2)


def best_response(g_own, g_other, p_other, price=PRICE):
    """argmax over [0, pmax] of ln(1 + L g p / (noise + g' p')) - c p: the payoff is strictly concave in
    p with derivative L g / (noise + g' p' + L g p) - c, so the maximiser is the clipped root."""
    root = 1 / price - (NOISE + g_other * p_other) / (L * g_own)
    return min(PMAX, max(F(0), root))


def payoff(p_own, p_other, g_own=1.0, g_other=1.0, price=0.5):
    return math.log(1 + 3 * g_own * p_own / (1 + g_other * p_other)) - price * p_own


def _eq(sol):
    (e,) = sol.equilibria
    return [float(v) for v in e.profile], [float(v) for v in e.payoffs], e


@pytest.mark.parametrize(("gain2", "want"), [
    (F(1), (F(5, 4), F(5, 4))),     # symmetric: (L/c - noise/g) / (L + 1)
    (F(1, 2), (F(13, 8), F(1, 4))),  # total received power R = 11/4, g_i p_i = (L g_i / c - R) / (L - 1)
    (F(1, 4), (F(5, 3), F(0))),     # near-far: the far user's marginal gain at 0 is 9/32 < 1/2
])
def test_power_control_equilibrium_is_the_hand_derived_fixed_point(gain2, want):
    # independent: the header's point is an exact fixed point of the (linear, clipped) best responses
    p1, p2 = want
    assert best_response(F(1), gain2, p2) == p1 and best_response(gain2, F(1), p1) == p2
    sol = solve(mechc.load(POWER, gain2=str(gain2)))
    prof, pay, e = _eq(sol)
    assert prof == pytest.approx([float(p1), float(p2)], abs=1e-7)  # fsolve-refined, xtol 1e-14
    assert pay == pytest.approx([payoff(float(p1), float(p2), 1.0, float(gain2)),
                                 payoff(float(p2), float(p1), float(gain2), 1.0)], abs=1e-9)
    # ln makes the game transcendental: the check is numerical, never "verified"
    assert not e.exact and e.regret <= 1e-9
    verdicts = [p["verdict"] for p in sol.properties]
    assert verdicts == (["passed-search", "passed-search"] if gain2 == 1 else ["passed-search", "violated"])


def test_power_control_symmetric_payoff_and_sinr():
    sol = solve(mechc.load(POWER))
    _, pay, _ = _eq(sol)
    sinr = 3 * F(5, 4) / (1 + F(5, 4))
    assert sinr == F(5, 3)
    assert pay == pytest.approx([math.log(8 / 3) - 5 / 8] * 2, abs=1e-9)  # 0.355829...


def test_power_control_price_of_anarchy():
    # welfare = sum of payoffs; maximised over [0, 2]^2 on a 2001 x 2001 grid, then polished by scipy
    from scipy.optimize import minimize

    def welfare(p1, p2):
        return np.log1p(3 * p1 / (1 + p2)) + np.log1p(3 * p2 / (1 + p1)) - (p1 + p2) / 2

    x = np.linspace(0, 2, 2001)
    W = welfare(x[:, None], x[None, :])
    k = np.unravel_index(W.argmax(), W.shape)
    r = minimize(lambda z: -welfare(*z), [x[k[0]], x[k[1]]], bounds=[(0, 2), (0, 2)], method="L-BFGS-B")
    opt = max(-r.fun, W.max())
    assert opt == pytest.approx(math.log(6) - 5 / 6, abs=1e-9)  # one user silent, the other sends 5/3
    assert sorted(r.x) == pytest.approx([0, 5 / 3], abs=1e-5)
    # the best symmetric profile: (1 + p)(1 + 4p) = 6
    p_sym = (math.sqrt(105) - 5) / 8
    sym = np.diag(W)
    assert sym.max() == pytest.approx(welfare(p_sym, p_sym), abs=1e-6)
    assert welfare(p_sym, p_sym) == pytest.approx(0.910347, abs=1e-6)
    # the equilibrium's welfare, from mechc's payoffs, against 2 ln(8/3) - 5/4
    _, pay, _ = _eq(solve(mechc.load(POWER)))
    w_eq = sum(pay)
    assert w_eq == pytest.approx(2 * math.log(8 / 3) - 5 / 4, abs=1e-9)
    assert opt / w_eq == pytest.approx(1.34675, abs=1e-5)
    assert welfare(p_sym, p_sym) / w_eq == pytest.approx(1.27920, abs=1e-5)


GRID = [F(k, 4) for k in range(9)]  # {0, 1/4, ..., 2}


def _grid_model():
    text = POWER.read_text()
    line = "strategy p[i] in [0, pmax]"
    assert line in text
    grid = "{" + ", ".join(str(v) for v in GRID) + "}"
    return mechc.load_text(text.replace(line, f"strategy p[i] in {grid}"), "power_control_grid.mech")


def _profitable_deviations(profile):
    """(player, deviation) pairs of the grid game that raise the deviator's payoff: the seed's
    relaxed-validation count of incentive violations."""
    out = []
    for a in range(2):
        here = payoff(float(profile[a]), float(profile[1 - a]))
        out += [(a, d) for d in GRID if d != profile[a] and payoff(float(d), float(profile[1 - a])) > here + 1e-12]
    return out


def test_power_control_on_a_grid_counts_no_profitable_deviation_at_equilibrium():
    sol = solve(_grid_model())
    assert [p for p, _ in sol.equilibria] == [("5/4", "5/4")]
    assert sol.surviving == [["5/4"], ["5/4"]]  # dominance-solvable on the grid
    assert [p["verdict"] for p in sol.properties] == ["verified", "verified"]
    # independent enumeration of the 81 profiles
    eqs = [q for q in itertools.product(GRID, repeat=2) if not _profitable_deviations(q)]
    assert eqs == [(F(5, 4), F(5, 4))]
    assert len(_profitable_deviations((F(5, 4), F(5, 4)))) == 0  # of 2 x 8 = 16 unilateral deviations
    # the grid optimum silences one user; the silent one has 8 profitable deviations, the other none
    w = sol.welfare
    assert tuple(sol.strategies[a][k] for a, k in enumerate(w["optimum_profile"])) == ("0", "7/4")
    assert float(w["optimum"]) == pytest.approx(math.log(25 / 4) - 7 / 8, abs=1e-12)
    assert float(w["price_of_anarchy"]) == pytest.approx((math.log(25 / 4) - 7 / 8) / (2 * math.log(8 / 3) - 5 / 4),
                                                         abs=1e-12)  # 1.34556
    devs = _profitable_deviations((F(0), F(7, 4)))
    assert len(devs) == 8 and {a for a, _ in devs} == {0}


# --- Braess's paradox in inference routing -------------------------------------------------------
ROUTES = ("ViaA", "ViaB", "Interconnect")


def braess_costs(profile, n, toll=F(0), rate=F(800), slope=F(1, 10), hop=F(100)):
    """(latency, cost) per tenant, exactly; cost = latency + toll on the interconnect."""
    block = rate / n
    load_a = block * sum(r != "ViaB" for r in profile)
    load_b = block * sum(r != "ViaA" for r in profile)
    lat = [slope * load_a + hop if r == "ViaA" else hop + slope * load_b if r == "ViaB"
           else slope * (load_a + load_b) for r in profile]
    return lat, [v + (toll if r == "Interconnect" else 0) for v, r in zip(lat, profile, strict=True)]


def braess_equilibria(n, toll=F(0), routes=ROUTES):
    out = []
    for prof in itertools.product(routes, repeat=n):
        _, c = braess_costs(prof, n, toll)
        if all(braess_costs(prof[:a] + (r,) + prof[a + 1:], n, toll)[1][a] >= c[a]
               for a in range(n) for r in routes):
            out.append(prof)
    return out


def test_braess_interconnect_is_dominant_and_costs_everyone_20_ms():
    sol = solve(mechc.load(BRAESS))
    # equilibria carry payoffs = -cost for cost games (sol.sign == -1)
    assert [(p, tuple(sol.sign * v for v in c)) for p, c in sol.equilibria] == [(("Interconnect",) * 4, (160,) * 4)]
    assert sol.dominant == {str(a): ("Interconnect", "strictly") for a in range(1, 5)}
    assert braess_equilibria(4) == [("Interconnect",) * 4]
    assert [p["verdict"] for p in sol.properties] == ["verified", "verified"]
    w = sol.welfare
    best = min(sum(braess_costs(p, 4)[1]) for p in itertools.product(ROUTES, repeat=4))
    assert w["optimum"] == best == 560 and w["worst_equilibrium"] == 640
    assert w["price_of_anarchy"] == F(8, 7)


def test_braess_closing_the_interconnect_restores_140_ms():
    sol = solve(mechc.load(BRAESS, shortcut=False))
    direct = ("ViaA", "ViaB")
    assert sorted(p for p, _ in sol.equilibria) == sorted(braess_equilibria(4, routes=direct))
    assert len(sol.equilibria) == 6 and all(sum(braess_costs(p, 4)[0]) == 560 for p, _ in sol.equilibria)
    assert sol.welfare["price_of_anarchy"] == 1
    verdicts = {p["label"]: p["verdict"] for p in sol.properties}
    assert verdicts == {"pure_equilibrium": "verified", "strictly_dominant(Interconnect)": "violated"}


@pytest.mark.parametrize("toll", [10, 20, 30, 40, 41, 50])
def test_braess_toll_on_the_interconnect(toll):
    sol = solve(mechc.load(BRAESS, toll=toll))
    mine = braess_equilibria(4, F(toll))
    assert sorted(p for p, _ in sol.equilibria) == sorted(mine)
    splits = {p for p in itertools.product(("ViaA", "ViaB"), repeat=4) if p.count("ViaA") == 2}
    if toll < 20:  # everyone still takes the interconnect
        assert mine == [("Interconnect",) * 4]
    elif 20 < toll < 40:  # two blocks on the interconnect, one on each direct route: 140 ms on average
        assert all(p.count("Interconnect") == 2 and sum(braess_costs(p, 4)[0]) == 560 for p in mine)
    if toll >= 40:  # the split is an equilibrium from 40 ms (a block moving over pays 40 + 60 + toll)
        assert splits <= set(mine)
    else:
        assert not splits & set(mine)
    if toll > 40:  # ... and the only one above 40 ms
        assert set(mine) == splits and sol.welfare["price_of_anarchy"] == 1


def test_braess_nonatomic_limit_by_hand():
    # flows x (A), x (B), z (interconnect), 2x + z = 800; cluster latency load/10 ms, hop 100 ms
    def avg_latency(x):
        z = 800 - 2 * x
        load = x + z
        return (2 * x * (load / 10 + 100) + z * (2 * load / 10)) / 800
    best = min(avg_latency(F(x)) for x in range(0, 401))  # 1 request/s steps, exact
    assert best == avg_latency(F(300)) == F(275, 2)  # 137.5 ms at 300/300/200
    assert F(160) / best == F(64, 55)
    # a toll T: with x on each direct route the interconnect carries 800 - 2x and cluster A carries
    # 800 - x; at an interior equilibrium a direct route and the interconnect cost the same
    def route_costs(x, toll):
        lat = (800 - x) / F(10)
        return lat + 100, 2 * lat + toll  # direct, interconnect (latency + toll)
    direct, inter = route_costs(F(300), F(50))
    assert direct == inter == 150  # T = 50 ms makes the optimum an equilibrium
    direct, inter = route_costs(F(400), F(60))
    assert direct == inter == 140  # T = 60 ms: the split (nobody on the interconnect) just holds
    direct, inter = route_costs(F(400), F(59))
    assert inter < direct  # below 60 ms someone leaves the split for the interconnect
    direct, inter = route_costs(F(0), F(20))
    assert direct == inter == 180  # all on the interconnect holds up to T = 20 ms


@pytest.mark.slow
def test_braess_eight_tenants():
    sol = solve(mechc.load(BRAESS, n=8))
    assert sol.welfare["price_of_anarchy"] == F(64, 55)  # 8 blocks can realise the 300/300/200 optimum
    for toll, split_only in ((49, False), (51, True)):  # threshold 100 - 40 - 80/8 = 50 ms
        sol = solve(mechc.load(BRAESS, n=8, toll=toll))
        splits = [p for p, _ in sol.equilibria if "Interconnect" not in p and p.count("ViaA") == 4]
        assert (len(splits) == len(sol.equilibria) == 70) == split_only
        assert (len(splits) == 0) == (not split_only)
