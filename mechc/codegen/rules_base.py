"""The support class every generated module's rules derive from (numpy only).

``mechc compile`` embeds this file verbatim (from the 'begin embedded' line) after runtime.py, so
it must only use numpy, itertools and the runtime's names. It mirrors mechc.model.evaluate:
memoised definitions, reports and true types as arrays, gathers over computed indices.
"""

import itertools

import numpy as np

from ..runtime import aggregate, recip, select

# ---- begin embedded ----


def definition(fn):
    """Memoise a definition per index tuple; report-only ones are shared across agents."""
    name = fn.__name__

    def wrapper(self, *idx):
        key = (name, *idx)
        memo = self._memo if name in self.TYPE_READING else self._shared
        if key not in memo:
            memo[key] = fn(self, *idx)
        return memo[key]

    wrapper.__name__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


def inv(x):
    """1/x elementwise, NaN where x == 0."""
    return recip(x)[0]


class RulesBase:
    """One evaluation context: a batch of report profiles, optionally one agent's true types."""

    TYPE_READING = frozenset()  # definitions that read true types (memoised per context)
    INDEX_SETS = {}  # definition -> names of the methods giving its index sets

    def __init__(self, params, reports, types=None, shared=None):
        self.p = params
        self._reports = reports  # agent code -> array (P,) or (P, K)
        self._types = types or {}  # agent code -> true types, where they differ from reports
        self._memo = {}
        self._shared = {} if shared is None else shared

    def _agents(self):
        raise NotImplementedError

    def _items(self):
        return ()

    def _value(self, true, a, k=None):
        if np.ndim(k) > 0:
            codes = self._items()
            return select([k], [(c,) for c in codes], [self._value(true, a, c) for c in codes])[0]
        if np.ndim(a) > 0:
            codes = self._agents()
            return select([a], [(c,) for c in codes], [self._value(true, c, k) for c in codes])[0]
        arr = self._types.get(int(a)) if true else None
        if arr is None:
            arr = self._reports[int(a)]
        return arr if k is None else arr[:, list(self._items()).index(int(k))]

    def _type(self, a, k=None):
        return self._value(True, a, k)

    def _report(self, a, k=None):
        return self._value(False, a, k)

    def _ref(self, name, idx):
        """A definition at computed indices: direct when every index is a scalar, else gathered."""
        if all(np.ndim(i) == 0 for i in idx):
            return getattr(self, name)(*(_index_key(i) for i in idx))
        sets = [getattr(self, s)() for s in self.INDEX_SETS[name]]
        combos = list(itertools.product(*sets))
        return select(idx, combos, [getattr(self, name)(*c) for c in combos])[0]

    def _component(self, table, items, o, k):
        """o[k] for an assignment outcome o (an index into ``table``)."""
        return table[:, list(items).index(int(k))][np.asarray(o)]

    def _agg(self, op, entries, has_where, default=None):
        masks = [e[0] for e in entries]
        bodies = [e[1] for e in entries]
        codes = [e[2] for e in entries]
        return aggregate(op, masks, bodies, codes, has_where, default)[0]


def _index_key(i):
    """A computed scalar index as the element it names: an int for codes and integral numbers, the
    float itself for a fractional element of a number set (int() would truncate 1/2 to 0)."""
    v = i.item() if hasattr(i, "item") else i
    return int(v) if float(v).is_integer() else v
