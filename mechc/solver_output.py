"""Keeping C-level solver output (HiGHS's banner) off standard output, for every back end that
solves a program (designs, contracts, Stackelberg commitment)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_QUIET_LOCK = threading.Lock()
_quiet_depth = 0


@contextlib.contextmanager
def quiet_solver_output():
    """Keep C-level solver output off standard output (file descriptor 1) during a solve.

    highspy prints its banner ("Running HiGHS ... THIRD_PARTY_NOTICES.md") with printf from the
    constructor of the first ``Highs()`` object of the process, before any option (cvxpy's
    ``verbose=False`` -> ``log_to_console``, or ``output_flag``) can be set, so solver options
    cannot stop it; it would corrupt ``--format json`` and text reports. Python's own buffers and
    C stdio's are flushed on both sides so nothing is reordered or lost; re-entrant."""
    global _quiet_depth
    with _QUIET_LOCK:
        _quiet_depth += 1
        outer = _quiet_depth == 1
        saved = None
        if outer:
            try:
                sys.stdout.flush()
            except (AttributeError, OSError, ValueError):
                pass
            _c_flush()
            try:
                saved = os.dup(1)
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, 1)
                finally:
                    os.close(devnull)
            except OSError:  # no file descriptor 1 (embedded interpreters): nothing to protect
                if saved is not None:
                    os.close(saved)
                saved = None
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet_depth -= 1
            if saved is not None:
                _c_flush()  # whatever the solver left in C stdio's buffer goes to /dev/null too
                os.dup2(saved, 1)
                os.close(saved)


def _c_flush() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C library handle (e.g. Windows): nothing buffered
        pass
