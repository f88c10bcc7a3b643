"""Array semantics shared by mechc's evaluator and every generated module.

This file imports numpy only. ``mechc compile`` copies it verbatim into each generated module, and
the in-process evaluator (mechc.model.evaluate) calls the same functions, so tie-breaking,
aggregates with ``where`` filters and ``default``, ``none`` and undefined values cannot drift
apart between ``mechc check`` and the compiled code.
"""

import itertools
from fractions import Fraction

import numpy as np

NONE_CODE = -(2**40)  # the code of `none`; never a range element or a symbol code
TIE_RTOL = 1e-9  # argmax/argmin: values within this relative distance of the best are ties


class EmptyAggregate(ValueError):
    """argmax/argmin over an empty selection with no default."""


class UndefinedValue(ValueError):
    """A result (a rule, a utility, a welfare) that is undefined (NaN) or infinite at a profile."""


def require_finite_rows(name, value, profiles):
    """Raise UndefinedValue naming the first profile (a row of ``profiles``) where the float result
    ``value`` is NaN or +-inf: log of a number <= 0, exp overflow, division by zero or an empty
    aggregate reached it. A result is never returned as inf or nan."""
    v = np.asarray(value)
    if v.dtype.kind != "f":
        return
    rows = np.broadcast_to(v, (len(profiles),) + v.shape[1:]).reshape(len(profiles), -1)
    bad = ~np.isfinite(rows)
    if not bad.any():
        return
    row = int(np.argmax(bad.any(axis=1)))
    x = rows[row][bad[row]][0]
    kind = "undefined (nan)" if np.isnan(x) else f"infinite ({x})"
    raise UndefinedValue(f"{name} is {kind} at reports {np.asarray(profiles)[row].tolist()} (profile {row}): "
                         "log of a number <= 0, exp overflow, division by zero or an empty aggregate; "
                         "'mechc check' names the rule")


def recip(x, exact=False):
    """1/x elementwise; NaN where x == 0. Returns (value, mask of zero denominators)."""
    den = np.asarray(x)
    zero = den == 0
    one = Fraction(1) if exact else 1.0
    return np.where(zero, np.nan, one / np.where(zero, 1, den)), zero


def assignments(item_codes, to_codes, allow_none):
    """Every assignment of items to recipients (or `none`), `none` first, items in declared order."""
    options = ([NONE_CODE] if allow_none else []) + list(to_codes)
    return list(itertools.product(options, repeat=len(item_codes)))


def select(keys, combos, values):
    """Gather by computed index: where (keys[0], keys[1], ...) == combos[k] take values[k].
    Numbers are NaN where the keys match no combination. Returns (value, mask of unmatched)."""
    out, hit = None, None
    for combo, v in zip(combos, values, strict=True):
        m = True  # keys may mix arrays and scalars (x[b[i], A]): combine them by broadcasting
        for key, c in zip(keys, combo, strict=True):
            m = np.logical_and(m, np.asarray(key) == c)
        hit = m if hit is None else hit | m
        out = v if out is None else np.where(m, v, out)
    if np.asarray(out).dtype.kind in "fO":
        out = np.where(hit, out, np.nan)
    return out, ~hit


def aggregate(op, masks, bodies, codes, has_where, default=None, exact=False):
    """Aggregate ``op`` over the elements of a set (one entry per element, in set order).

    masks: the `where` filter per element (a bool or a bool array); bodies: the body per element;
    codes: the element codes (for argmax/argmin); default: a zero-argument callable or None.
    Returns (value, mask of profiles left undefined (empty selection, no default) or None).
    """
    zero = Fraction(0) if exact else 0.0
    if op == "count":
        return sum(np.asarray(m, dtype=np.int64) for m in masks), None
    if op == "sum":
        return sum((np.where(m, b, zero) if has_where else b) for m, b in zip(masks, bodies, strict=True)), None
    if op == "prod":
        out = Fraction(1) if exact else 1.0
        for m, b in zip(masks, bodies, strict=True):
            out = out * (np.where(m, b, 1) if has_where else b)
        return out, None
    if op == "any":
        return np.logical_or.reduce([np.logical_and(m, b) for m, b in zip(masks, bodies, strict=True)]), None
    if op == "all":
        return np.logical_and.reduce([np.logical_or(np.logical_not(m), b) for m, b in zip(masks, bodies, strict=True)]), None
    # A filter that is a plain bool for every element (e.g. `j != i` with i bound) selects
    # elements statically: drop the others before any array work.
    if has_where and all(isinstance(mk, (bool, np.bool_)) for mk in masks):
        keep = [k for k, mk in enumerate(masks) if mk]
        if keep:
            bodies = [bodies[k] for k in keep]
            codes = [codes[k] for k in keep]
            masks = [True] * len(keep)
            has_where = False
    if not has_where and op in ("max", "min"):
        fold = np.maximum if op == "max" else np.minimum
        out = bodies[0]
        for b in bodies[1:]:
            out = fold(out, b)
        return out, None
    # min / max / argmin / argmax / median over the selected elements
    arrays = np.broadcast_arrays(*[np.asarray(b) for b in bodies], *[np.asarray(m) for m in masks])
    k = len(bodies)
    stack = np.stack(arrays[:k])
    mask = np.stack(arrays[k:]).astype(bool)
    if stack.dtype.kind in "iub":
        stack = stack.astype(object if exact else float)
    empty = ~mask.any(axis=0)
    sign = -1 if op in ("max", "argmax") else 1
    filled = np.where(mask, stack, sign * np.inf) if has_where else stack
    if op in ("max", "min"):
        out = filled.max(axis=0) if op == "max" else filled.min(axis=0)
    elif op == "median":  # the lower median of the selected values
        srt = np.sort(np.where(mask, stack, np.inf), axis=0)
        pos = np.maximum((mask.sum(axis=0) - 1) // 2, 0)
        out = np.take_along_axis(srt, pos[None], axis=0)[0]
    else:  # argmax / argmin: the first element (in set order) within TIE_RTOL of the best
        best = filled.max(axis=0) if op == "argmax" else filled.min(axis=0)
        sel = mask if has_where else True
        if exact:
            cand = sel & (filled == best)
        else:
            tol = TIE_RTOL * np.maximum(1.0, np.abs(np.where(np.isfinite(best), best, 0.0)))
            cand = sel & (np.abs(filled - best) <= tol)
        first = np.argmax(cand, axis=0)
        elems = np.array(codes)  # number-set elements may be fractions: keep them as they are
        out = np.asarray((elems.astype(np.int64) if elems.dtype.kind in "iub" else elems)[first])
        if np.any(empty):
            if default is None:
                raise EmptyAggregate(f"{op} over an empty set (the 'where' filter selects nothing)")
            out = np.where(empty, default(), out)
        return (out if out.ndim else out.item()), None
    if np.any(empty):
        if default is None:
            return np.where(empty, np.nan, out), empty
        out = np.where(empty, default(), out)
    return out, None
