"""Sequential games of perfect information (``moves A then B then C``): subgame-perfect equilibria.

Each player moves once, in the declared order, and sees every earlier move. The game tree is the
payoff arrays with their axes put in move order: a node at depth k is a prefix of k moves.

*Backward induction, vectorised*: the last mover's best move at every node is an argmax along the
last axis of its payoff array; gathering every player's payoffs there gives the values of the
nodes one level up, and so on to the root. One array operation per level, no loop over nodes.
Ties are broken towards the first listed strategy, and counted.

*All subgame-perfect outcomes when there are ties*: a player who is indifferent at a node may pick
any of its best moves, and an earlier player's choice depends on which. The set of outcomes
reachable in some subgame-perfect equilibrium is computed exactly, node by node (a plain loop,
run only when a tie exists, up to ``ENUM_LIMIT`` nodes): at a node of player m, a continuation w
through move a is subgame-perfect iff w[m] >= the worst subgame-perfect value m can be held to
after every other move (choosing that worst continuation there is itself subgame-perfect).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ENUM_LIMIT = 200_000
TOL = 1e-9


@dataclass
class SequentialResult:
    order: tuple[int, ...]  # player positions in move order
    path: tuple[int, ...]  # the backward-induction outcome (ties to the first strategy), in player order
    payoffs: tuple  # payoffs at that outcome, in player order
    outcomes: list[tuple[int, ...]] | None  # every subgame-perfect outcome (player order), None if not enumerated
    outcome_payoffs: list[tuple] | None  # the payoffs at each of them
    tie_nodes: int  # decision nodes where the mover has more than one best move
    nodes: int  # decision nodes in the tree
    exact: bool
    responses: list | None = None  # two players: the second mover's best moves after each first move


def _ties(u: np.ndarray, best: np.ndarray, exact: bool) -> np.ndarray:
    """Boolean mask of the moves (last axis) that attain the mover's best value (kept as an axis)."""
    if exact:
        return u == best
    uf, bf = u.astype(float), best.astype(float)
    return uf >= bf - TOL * (1 + np.abs(bf))


def backward_induction(U: list[np.ndarray], order: tuple[int, ...], exact: bool) -> SequentialResult:
    """U[p]: player p's payoffs with one axis per player (player order); ``order``: move order."""
    n = len(U)
    V = np.stack([np.transpose(u, order) for u in U])  # (player, move 1, ..., move n)
    sizes = V.shape[1:]
    choices = []  # choices[k]: the depth-k mover's chosen move at every depth-k node
    tie_nodes = 0
    best_sets = []  # best_sets[k]: mask of best moves at every depth-k node
    for k in range(n - 1, -1, -1):
        mover = order[k]
        u = V[mover]
        best = u.max(axis=-1, keepdims=True)
        mask = _ties(u, best, exact)
        tie_nodes += int((mask.sum(axis=-1) > 1).sum())
        c = mask.argmax(axis=-1)  # the first best move
        choices.append(c)
        best_sets.append(mask)
        V = np.take_along_axis(V, c[None, ..., None], axis=-1)[..., 0]
    choices.reverse()
    best_sets.reverse()
    path = []
    for k in range(n):
        path.append(int(choices[k][tuple(path)]))
    by_player = _to_player_order(tuple(path), order)
    payoffs = tuple(U[p][by_player] for p in range(n))
    nodes = sum(math.prod(sizes[:k]) for k in range(n))
    outcomes = None
    if tie_nodes == 0:
        outcomes = [by_player]
    elif nodes <= ENUM_LIMIT:
        outcomes = sorted(_to_player_order(p, order) for p in _all_outcomes(U, order, exact))
    responses = None
    if n == 2:
        responses = [[int(j) for j in np.flatnonzero(best_sets[1][i])] for i in range(sizes[0])]
    pays = None if outcomes is None else [tuple(U[p][o] for p in range(n)) for o in outcomes]
    return SequentialResult(tuple(order), by_player, payoffs, outcomes, pays, tie_nodes, nodes, exact, responses)


def _to_player_order(path: tuple[int, ...], order: tuple[int, ...]) -> tuple[int, ...]:
    out = [0] * len(order)
    for k, p in enumerate(order):
        out[p] = path[k]
    return tuple(out)


def _all_outcomes(U: list[np.ndarray], order: tuple[int, ...], exact: bool) -> set[tuple[int, ...]]:
    """Every outcome path (move order) reached by some subgame-perfect equilibrium."""
    n = len(U)
    V = [np.transpose(u, order) for u in U]
    sizes = V[0].shape

    def value(path, p):
        return V[p][path]

    def geq(a, b) -> bool:
        return a >= b if exact else float(a) >= float(b) - TOL * (1 + abs(float(b)))

    # level sets, deepest first: node (a prefix) -> set of full paths
    level = {prefix: {prefix} for prefix in np.ndindex(*sizes)}
    for k in range(n - 1, -1, -1):
        mover = order[k]
        up: dict[tuple, set] = {}
        for prefix in np.ndindex(*sizes[:k]):
            kids = [level[prefix + (a,)] for a in range(sizes[k])]
            worst = [min(value(q, mover) for q in kid) for kid in kids]
            keep = set()
            for a, kid in enumerate(kids):
                floor = max((w for b, w in enumerate(worst) if b != a), default=None)
                keep |= {q for q in kid if floor is None or geq(value(q, mover), floor)}
            up[prefix] = keep
        level = up
    return level[()]
