"""pass^k: how reliably a conversation succeeds when it is run k times (tau-bench's estimator).

One green run says little about a stochastic model. Run a task n times; with c successes, the
probability that k runs drawn from those n (without replacement) all succeed is

    pass^k = C(c, k) / C(n, k)

an unbiased estimate of p^k for a task the model passes with probability p. pass^1 is the plain
success rate; pass^k falls as k grows unless every run passed. Over several tasks, pass^k is the
mean of the tasks' pass^k. Shared by `scheduling-agent eval` and the staff playground.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb


def pass_hat_k(successes: int, trials: int, k: int) -> float:
    """C(successes, k) / C(trials, k) for 1 <= k <= trials."""
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}); got {successes}")
    if not 1 <= k <= trials:
        raise ValueError(f"k must be between 1 and trials ({trials}); got {k}")
    return comb(successes, k) / comb(trials, k)


def pass_curve(successes: int, trials: int) -> list[float]:
    """[pass^1, ..., pass^trials] for one task."""
    return [pass_hat_k(successes, trials, k) for k in range(1, trials + 1)]


def mean_curve(curves: Sequence[Sequence[float]]) -> list[float]:
    """Per k, the mean over tasks of their pass^k (every task run the same number of times)."""
    if not curves:
        return []
    lengths = {len(curve) for curve in curves}
    if len(lengths) != 1:
        raise ValueError(f"every task needs the same number of trials; got {sorted(lengths)}")
    return [sum(values) / len(values) for values in zip(*curves, strict=True)]
