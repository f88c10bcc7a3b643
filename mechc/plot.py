"""``mechc plot``: a spec's rules, utilities and regret as pictures (matplotlib, optional extra).

The arrays behind every panel come from ``plot_data`` (evaluated by the Model evaluator), so they
can be tested and reused; ``draw`` only lays them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import MechError
from .limits import MAX_PLOT_CELLS, refuse_if
from .model.evaluate import Evaluation
from .model.model import Model, _fmt
from .model.priors import prior_of

TAIL = 1e-3  # an unbounded axis is drawn between these quantiles of the prior


@dataclass
class PlotData:
    agent: int
    reports: np.ndarray  # (K,) the agent's own reports (= true types on the same grid)
    others: dict  # agent label -> fixed report
    x: np.ndarray | None  # (K,) allocation against the own report
    pay: np.ndarray | None  # (K,) payment against the own report
    utility: np.ndarray  # (K, K): [true type, report]

    @property
    def truthful(self) -> np.ndarray:
        return np.diagonal(self.utility)

    @property
    def best(self) -> np.ndarray:
        return self.utility.max(axis=1)

    @property
    def regret(self) -> np.ndarray:
        return self.utility - self.truthful[:, None]


def _points(ts, k: int) -> list[Fraction]:
    """K evenly spaced points of a real type's interval; an unbounded end is cut at the prior's
    0.1% (or 99.9%) quantile."""
    if ts.continuous:
        lo = ts.lo if ts.lo is not None else Fraction(f"{prior_of(ts).window(TAIL)[0]:.6g}")
        hi = ts.hi if ts.hi is not None else Fraction(f"{prior_of(ts).window(TAIL)[1]:.6g}")
        return [lo + (hi - lo) * Fraction(j, k - 1) for j in range(k)]
    return [Fraction(v) for v in ts.values]


def plot_cells(model: Model, agent: int, grid: int, average: bool, others_grid: int = 11) -> int:
    """Utilities a plot evaluates (own report x true type, times the others' grid when averaged),
    in exact integers from the type spaces alone, before anything is built."""
    def points(ts, k: int) -> int:
        return k if ts.continuous else len(ts.values)

    K = points(model.type_spaces[agent], grid)
    C = math.prod(points(ts, others_grid) for j, ts in enumerate(model.type_spaces) if j != agent) if average else 1
    return K * K * C


def plot_data(model: Model, agent: int = 0, grid: int = 101, others: dict | None = None,
              average: bool = False, others_grid: int = 11, max_cells: int = MAX_PLOT_CELLS) -> PlotData:
    """Rules and utilities of one agent against its own report, the others' reports fixed (by
    default at the middle point of their spaces) or, with ``average``, averaged under their prior
    (finite spaces exactly, intervals on an ``others_grid``-point trapezoid grid)."""
    refuse_if(plot_cells(model, agent, grid, average, others_grid), max_cells,
              f"utilities this plot evaluates (own report x true type{' x the others' if average else ''}):",
              "--max-cells (or a smaller --grid)")
    if average:
        return _averaged(model, agent, grid, others_grid)
    if any(ts.symbolic or ts.items is not None for ts in model.type_spaces):
        raise MechError("mechc plot draws agents with one numeric type each")
    if model.utility is None:
        raise MechError("mechc plot needs a utility (utility[i], or value[i] and pay[i])")
    n = model.n_agents
    own = _points(model.type_spaces[agent], grid)
    K = len(own)
    fixed = {}
    for j, ts in enumerate(model.type_spaces):
        if j == agent:
            continue
        label = model.agent_label(j)
        if others and label in others:
            fixed[j] = Fraction(others[label])
        else:
            pts = _points(ts, 3 if ts.continuous else len(ts.values))
            fixed[j] = pts[len(pts) // 2]
    tables, reports = [], []
    for j in range(n):
        if j == agent:
            tables.append(np.array([[float(v)] for v in own]))
            reports.append(np.arange(K)[None, :])
        else:
            tables.append(np.array([[float(fixed[j])]]))
            reports.append(np.zeros((1, 1), dtype=np.int64))
    ev = Evaluation(model, tables, reports, true_types={agent: np.arange(K)[:, None]})
    code = model.agents.codes[agent]
    with np.errstate(all="ignore"):
        U = np.broadcast_to(ev.eval(model.utility, {model.utility_var: code}), (K, K)).astype(float)
        rules = Evaluation(model, tables, [r[0] if j == agent else r[0] for j, r in enumerate(reports)])
        x = np.broadcast_to(rules.ref("x", (code,)), (K,)).astype(float) if "x" in model.defs else None
        pay = np.broadcast_to(rules.ref("pay", (code,)), (K,)).astype(float) if "pay" in model.defs else None
    return PlotData(agent, np.array([float(v) for v in own]),
                    {model.agent_label(j): _fmt(v) for j, v in fixed.items()}, x, pay, U)


def _averaged(model: Model, agent: int, grid: int, others_grid: int) -> PlotData:
    from .analysis.grid import agent_grid

    if any(ts.symbolic or ts.items is not None for ts in model.type_spaces):
        raise MechError("mechc plot draws agents with one numeric type each")
    n = model.n_agents
    own = _points(model.type_spaces[agent], grid)
    K = len(own)
    others = [j for j in range(n) if j != agent]
    grids = {j: agent_grid(model.type_spaces[j], others_grid) for j in others}
    shape = [grids[j].size for j in others]
    C = int(np.prod(shape)) if others else 1
    pos = np.unravel_index(np.arange(C), shape) if others else ()
    w = np.ones(C)
    tables, reports, rep1 = [], [], []
    for j in range(n):
        if j == agent:
            tables.append(np.array([[float(v)] for v in own]))
            reports.append(np.arange(K)[None, :, None])
            rep1.append(np.arange(K)[:, None])
        else:
            k = others.index(j)
            tables.append(grids[j].values)
            reports.append(pos[k][None, None, :])
            rep1.append(pos[k][None, :])
            w = w * grids[j].probs[pos[k]]
    code = model.agents.codes[agent]
    with np.errstate(all="ignore"):
        ev = Evaluation(model, tables, reports, true_types={agent: np.arange(K)[:, None, None]})
        U = np.broadcast_to(ev.eval(model.utility, {model.utility_var: code}), (K, K, C)).astype(float) @ w
        rules = Evaluation(model, tables, rep1)
        x = (np.broadcast_to(rules.ref("x", (code,)), (K, C)).astype(float) @ w) if "x" in model.defs else None
        pay = (np.broadcast_to(rules.ref("pay", (code,)), (K, C)).astype(float) @ w) if "pay" in model.defs else None
    return PlotData(agent, np.array([float(v) for v in own]), {"others": "averaged under the prior"}, x, pay, U)


def draw(model: Model, data: PlotData, out: str, sweep: tuple[str, list, dict] | None = None) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MechError("mechc plot needs matplotlib: pip install 'mechc[plot]'") from None
    label = model.agent_label(data.agent)
    if "others" in data.others:
        others = "others' reports averaged under their prior (interim)"
    else:
        others = "others report " + (", ".join(f"{k}={v}" for k, v in data.others.items()) or "nothing")
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    fig.suptitle(f"{model.name} ({model.file}): agent {label}; {others}", fontsize=12)
    ax = axes[0, 0]
    if data.x is not None:
        ax.plot(data.reports, data.x, label="allocation x", color="tab:blue")
    if data.pay is not None:
        ax.plot(data.reports, data.pay, label="payment", color="tab:red")
    ax.set_xlabel(f"agent {label}'s report")
    ax.set_title("rules against the own report")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    else:
        ax.text(0.5, 0.5, "the spec defines no x or pay", ha="center", va="center", transform=ax.transAxes)
    ax.grid(alpha=0.3)
    ax = axes[0, 1]
    ax.plot(data.reports, data.truthful, label="truthful report", color="tab:green")
    ax.plot(data.reports, data.best, "--", label="best misreport", color="tab:orange")
    ax.set_xlabel(f"agent {label}'s true type")
    ax.set_ylabel("utility")
    ax.set_title("utility: truth vs best misreport")
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[1, 0]
    lo, hi = float(data.reports[0]), float(data.reports[-1])
    from matplotlib.colors import TwoSlopeNorm

    g = data.regret
    span = max(float(np.abs(g).max()), 1e-12)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=min(float(g.min()), -1e-12 * span), vmax=max(float(g.max()), 1e-12 * span))
    im = ax.imshow(g, origin="lower", extent=(lo, hi, lo, hi), aspect="auto", cmap="RdBu_r", norm=norm)
    fig.colorbar(im, ax=ax, label="gain over truthful (red: misreporting pays)")
    ax.set_xlabel("report")
    ax.set_ylabel("true type")
    ax.set_title(f"regret heat map (max {data.regret.max():.3g})")
    ax = axes[1, 1]
    if sweep is not None:
        name, values, series = sweep
        for k, ys in series.items():
            ax.plot(values, ys, marker="o", label=k)
        ax.set_xlabel(name)
        ax.set_title(f"measures against {name}")
        ax.legend()
        ax.grid(alpha=0.3)
    else:
        ax.plot(data.reports, data.regret.max(axis=1), color="tab:purple")
        ax.set_xlabel(f"agent {label}'s true type")
        ax.set_ylabel("max gain from misreporting")
        ax.set_title("regret against the true type")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
