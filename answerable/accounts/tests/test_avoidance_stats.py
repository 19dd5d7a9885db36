"""The statistics of avoidance detection, without a database."""

import itertools
import math
import random

import pytest

from answerable.accounts.avoidance import Sample, find_avoidance, mann_whitney_greater, ranks


def test_ranks_average_ties_and_count_the_tie_term():
    r, ties = ranks([3.0, 1.0, 3.0, 2.0])
    assert r == [3.5, 1.0, 3.5, 2.0]
    assert ties == 2**3 - 2


def test_u_statistic_counts_the_pairs_where_x_is_larger():
    x, y = [5.0, 7.0, 7.0, 9.0], [1.0, 7.0, 3.0, 4.0, 8.0]
    pairs = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
    u, _ = mann_whitney_greater(x, y)
    assert u == pairs


def _exact_p(x: list[float], y: list[float]) -> float:
    """The exact one-sided p-value by enumerating every split of the pooled values."""
    pooled = x + y
    observed = sum(ranks(pooled)[0][: len(x)])
    r, _ = ranks(pooled)
    sums = [sum(r[i] for i in c) for c in itertools.combinations(range(len(pooled)), len(x))]
    return sum(s >= observed - 1e-9 for s in sums) / len(sums)


@pytest.mark.parametrize("seed", range(5))
def test_the_normal_approximation_is_close_to_the_exact_test_at_the_minimum_sample_size(seed):
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data
    x = [rng.lognormvariate(0.8, 1) for _ in range(8)]
    y = [rng.lognormvariate(0, 1) for _ in range(9)]
    _, p = mann_whitney_greater(x, y)
    assert abs(p - _exact_p(x, y)) < 0.015


def test_identical_values_give_no_evidence():
    assert mann_whitney_greater([4.0] * 10, [4.0] * 10)[1] == 1.0


def test_the_test_is_one_sided_a_faster_account_is_not_evidence():
    _, p = mann_whitney_greater([1.0, 2.0, 3.0] * 4, [10.0, 11.0, 12.0] * 4)
    assert p > 0.99


def _agent(
    rng: random.Random, agent: int, base: float, accounts: dict[str, tuple[int, float]]
) -> list[Sample]:
    """`accounts`: account -> (responses, slowdown factor)."""
    out = []
    for account, (n, factor) in accounts.items():
        out += [Sample(agent, account, rng.lognormvariate(math.log(base * factor), 0.6)) for _ in range(n)]
    return out


def _others(rng: random.Random, agent: int, base: float, n_accounts: int = 10, n: int = 6) -> dict:
    return {f"x{agent}-{i}": (n, 1.0) for i in range(n_accounts)}


def test_an_agent_markedly_slower_with_one_account_is_flagged():
    rng = random.Random(1)  # noqa: S311 -- reproducible test data
    samples = _agent(rng, 1, 3600, {"acme": (15, 4.0)} | _others(rng, 1, 3600))
    samples += _agent(rng, 2, 900, {"acme": (10, 1.0)} | _others(rng, 2, 900))
    result = find_avoidance(samples)
    (alert,) = result.alerts
    assert (alert.agent, alert.account) == (1, "acme")
    assert alert.ratio > 2 and alert.p_value < alert.threshold
    assert alert.threshold == pytest.approx(0.01 / result.tested)


def test_an_account_slow_for_everybody_is_nobodys_avoidance():
    rng = random.Random(2)  # noqa: S311 -- reproducible test data
    samples = []
    for agent, base in [(1, 3600), (2, 900), (3, 1800)]:
        samples += _agent(rng, agent, base, {"hard": (12, 3.0)} | _others(rng, agent, base))
    result = find_avoidance(samples)
    assert result.alerts == []
    hard = [f for f in result.findings if f.account == "hard"]
    # slower for everyone: once its difficulty is taken out, no agent is slower with it than elsewhere
    assert hard and all(f.difficulty > 2 and f.p_value > f.threshold for f in hard)
    assert all(f.ratio > 2 for f in hard)  # though in raw terms each agent is much slower with it


def test_significant_but_small_slowdowns_are_not_alerts():
    rng = random.Random(3)  # noqa: S311 -- reproducible test data
    samples = _agent(rng, 1, 3600, {"acme": (200, 1.5)} | _others(rng, 1, 3600, n=40))
    result = find_avoidance(samples)
    (acme,) = [f for f in result.findings if f.account == "acme"]
    assert acme.p_value < acme.threshold
    assert not acme.alert


def test_pairs_with_too_few_responses_are_not_tested():
    rng = random.Random(4)  # noqa: S311 -- reproducible test data
    samples = _agent(rng, 1, 3600, {"acme": (7, 10.0)} | _others(rng, 1, 3600))
    result = find_avoidance(samples)
    assert "acme" not in {f.account for f in result.findings}
    assert result.alerts == []


def test_the_bonferroni_threshold_shrinks_with_the_number_of_pairs_tested():
    rng = random.Random(5)  # noqa: S311 -- reproducible test data
    few = find_avoidance(_agent(rng, 1, 60, {f"a{i}": (10, 1.0) for i in range(4)}))
    many = find_avoidance(_agent(rng, 1, 60, {f"a{i}": (10, 1.0) for i in range(40)}))
    assert few.tested == 4 and many.tested == 40
    assert few.findings[0].threshold == pytest.approx(0.0025)
    assert many.findings[0].threshold == pytest.approx(0.00025)
