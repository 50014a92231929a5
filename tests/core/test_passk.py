"""The pass^k estimator on recorded outcomes, against hand-computed values and against brute force
(every way of drawing k of the n trials)."""

from __future__ import annotations

from itertools import combinations

import pytest

from core.passk import mean_curve, pass_curve, pass_hat_k

# Outcomes recorded from runs of one script (True: the script's expectations all held).
RECORDED = {
    "always": [True] * 5,
    "never": [False] * 5,
    "flaky": [True, False, True, True, False],  # 3 of 5
    "once": [False, False, True, False, False],  # 1 of 5
}


def brute_force(outcomes: list[bool], k: int) -> float:
    """The share of k-subsets of the trials in which every trial passed."""
    draws = list(combinations(outcomes, k))
    return sum(all(draw) for draw in draws) / len(draws)


@pytest.mark.parametrize("name", RECORDED)
def test_the_estimator_is_the_share_of_all_passing_draws(name: str) -> None:
    outcomes = RECORDED[name]
    curve = pass_curve(sum(outcomes), len(outcomes))
    assert curve == pytest.approx([brute_force(outcomes, k) for k in range(1, len(outcomes) + 1)])


def test_hand_computed_values() -> None:
    assert pass_curve(3, 5) == pytest.approx([0.6, 0.3, 0.1, 0.0, 0.0])  # C(3,k)/C(5,k)
    assert pass_curve(5, 5) == [1.0] * 5, "always passing: pass^k = pass^1 = 1"
    assert pass_curve(0, 5) == [0.0] * 5
    assert pass_hat_k(1, 5, 1) == pytest.approx(0.2) and pass_hat_k(1, 5, 2) == 0.0
    assert pass_hat_k(7, 8, 4) == pytest.approx(0.5)  # C(7,4)/C(8,4) = 35/70


def test_a_deterministic_model_has_a_flat_curve() -> None:
    # With llm: stub or the offline model every trial ends the same way: pass^k = pass^1.
    for successes in (0, 4):
        curve = pass_curve(successes, 4)
        assert len(set(curve)) == 1


def test_overall_is_the_mean_over_scripts() -> None:
    curves = [pass_curve(sum(o), len(o)) for o in RECORDED.values()]
    overall = mean_curve(curves)
    assert overall[0] == pytest.approx((1 + 0 + 0.6 + 0.2) / 4)
    assert overall[1] == pytest.approx((1 + 0 + 0.3 + 0) / 4)
    assert overall[-1] == pytest.approx(0.25)
    assert mean_curve([]) == []
    with pytest.raises(ValueError, match="same number of trials"):
        mean_curve([[1.0], [1.0, 1.0]])


@pytest.mark.parametrize(("successes", "trials", "k"), [(6, 5, 1), (-1, 5, 1), (3, 5, 0), (3, 5, 6)])
def test_out_of_range_arguments_are_refused(successes: int, trials: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_hat_k(successes, trials, k)
