"""Avoidance detection: is an agent markedly slower to answer one account than their other accounts?

Pure Python, no Django: the management command (through accounts.services) and bench/avoidance_sim.py feed
the same `find_avoidance` with response-time samples. The method is written up in
docs/decisions/0008-avoidance.md; in short, for every (agent, account) pair with enough samples:

1. a one-sided Mann-Whitney U test (normal approximation with tie and continuity corrections) of the agent's
   response times for that account against the agent's response times for all their other accounts;
2. significance after a Bonferroni correction over every pair tested: p < alpha / pairs;
3. an effect size: the typical ratio between the agent's waits for the account and for the others (the
   Hodges-Lehmann estimate: the median of all pairwise ratios, far steadier than a ratio of two medians),
   divided by how much slower the account is for the other agents (so an account that is simply hard for
   everyone is not anybody's avoidance), at least `min_ratio`.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ALPHA = 0.01  # family-wise error rate over all pairs tested in one run (Bonferroni)
MIN_RATIO = 2.0  # the agent's median for the account is at least twice their median elsewhere
MIN_ACCOUNT_SAMPLES = 8  # responses of the agent to the account
MIN_OTHER_SAMPLES = 20  # responses of the agent to other accounts
MIN_PEER_SAMPLES = 5  # kept for callers; the difficulty estimate now shrinks instead of cutting off
PRIOR_WEIGHT = 3.0  # pseudo-responses at "no harder than usual" in the account difficulty estimate
BASELINE_EXCLUDE_RATIO = 1.5  # accounts left out of an agent's baseline (see find_avoidance)
MAX_PASSES = 5  # baseline refinement passes (see find_avoidance)
FLOOR_SECONDS = 60.0  # ratios treat waits under a minute as a minute (zero business time happens)


@dataclass(frozen=True)
class Sample:
    """One wait: a customer of `account` wrote, `agent` answered after `seconds` (business time)."""

    agent: int
    account: str
    seconds: float


@dataclass(frozen=True)
class Finding:
    agent: int
    account: str
    n_account: int
    n_other: int
    median_account: float
    median_other: float
    ratio: float  # typical ratio of a wait for the account to a wait elsewhere (Hodges-Lehmann)
    difficulty: float  # how much slower the account is for other agents (1.0: not slower, or unknown)
    effect: float  # ratio / difficulty: what the threshold is applied to
    p_value: float
    threshold: float  # alpha / pairs tested: the p-value had to be at most this
    alert: bool


@dataclass(frozen=True)
class Result:
    tested: int
    findings: list[Finding]  # every pair tested, strongest first

    @property
    def alerts(self) -> list[Finding]:
        return [f for f in self.findings if f.alert]


def ranks(values: Sequence[float]) -> tuple[list[float], float]:
    """1-based ranks (ties get their average rank) and the tie term sum(t^3 - t) for the variance."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    ties = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        average = (i + j) / 2 + 1
        for k in range(i, j + 1):
            out[order[k]] = average
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    return out, ties


def u_test_greater(rank_sum: float, n1: int, n2: int, ties: float) -> tuple[float, float]:
    """U of group 1 and the one-sided p-value that group 1 tends to be larger (normal approximation).

    `rank_sum` is the sum of group 1's ranks in the pooled sample of n1 + n2 values; `ties` is that pooled
    sample's sum(t^3 - t). The approximation is good from about eight values a group, our minimum.
    """
    n = n1 + n2
    u = rank_sum - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:  # every value equal: no evidence either way
        return u, 1.0
    z = (u - mean - 0.5) / math.sqrt(variance)
    return u, 0.5 * math.erfc(z / math.sqrt(2))


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """One-sided Mann-Whitney U test that x tends to be larger than y: (U of x, p-value)."""
    pooled_ranks, ties = ranks([*x, *y])
    return u_test_greater(sum(pooled_ranks[: len(x)]), len(x), len(y), ties)


def typical_ratio(x: Sequence[float], y: Sequence[float]) -> float:
    """exp of the Hodges-Lehmann shift of the logs: the median over all pairs of x_i / y_j."""
    lx = [math.log(max(v, FLOOR_SECONDS)) for v in x]
    ly = [math.log(max(v, FLOOR_SECONDS)) for v in y]
    return math.exp(statistics.median([a - b for a in lx for b in ly]))


def find_avoidance(
    samples: Iterable[Sample],
    *,
    alpha: float = ALPHA,
    min_ratio: float = MIN_RATIO,
    min_account: int = MIN_ACCOUNT_SAMPLES,
    min_other: int = MIN_OTHER_SAMPLES,
    min_peers: int = MIN_PEER_SAMPLES,
) -> Result:
    by_agent: dict[int, list[Sample]] = defaultdict(list)
    for s in samples:
        by_agent[s.agent].append(s)
    agent_median = {
        agent: math.exp(statistics.fmean(math.log(max(s.seconds, FLOOR_SECONDS)) for s in rows))
        for agent, rows in by_agent.items()
    }
    # Each response relative to its agent's usual speed: how hard an account is, free of who answered it.
    relative: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for agent, rows in by_agent.items():
        usual = agent_median[agent] or 1.0
        for s in rows:
            relative[s.account].append((agent, max(s.seconds, FLOOR_SECONDS) / usual))

    per_pair: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for agent, rows in by_agent.items():
        for s in rows:
            per_pair[agent][s.account].append(s.seconds)
    pairs = [
        (agent, account)
        for agent, accounts in per_pair.items()
        for account, values in accounts.items()
        if len(values) >= min_account and len(by_agent[agent]) - len(values) >= min_other
    ]

    def difficulty_of(agent: int, account: str) -> float:
        # How much slower than usual other agents are with this account, shrunk toward "not harder" by
        # PRIOR_WEIGHT pseudo-responses: a few peer responses count a little, many count fully.
        peers = [math.log(max(r, 1e-6)) for a, r in relative[account] if a != agent]
        return max(1.0, math.exp(sum(peers) / (len(peers) + PRIOR_WEIGHT)))

    def judge(excluded: dict[int, set[str]]) -> list[Finding]:
        rows = []
        for agent, account in pairs:
            skip = excluded.get(agent, set())
            inside = per_pair[agent][account]
            outside = [
                v for acc, vals in per_pair[agent].items() if acc != account and acc not in skip for v in vals
            ]
            if len(outside) < min_other:
                outside = [v for acc, vals in per_pair[agent].items() if acc != account for v in vals]
            difficulty = difficulty_of(agent, account)
            # Tested against the agent's other accounts once the account's own difficulty is taken out.
            _, p = mann_whitney_greater([v / difficulty for v in inside], outside)
            rows.append((agent, account, inside, outside, typical_ratio(inside, outside), difficulty, p))
        cut = alpha / len(rows) if rows else alpha  # Bonferroni: family-wise error rate alpha over the run
        return [
            Finding(
                agent=agent, account=account, n_account=len(inside), n_other=len(outside),
                median_account=statistics.median(inside), median_other=statistics.median(outside),
                ratio=ratio, difficulty=difficulty, effect=ratio / difficulty, p_value=p,
                threshold=cut, alert=p <= cut and ratio / difficulty >= min_ratio,
            )
            for agent, account, inside, outside, ratio, difficulty, p in rows
        ]  # fmt: skip

    # The baseline is the agent's other accounts less those that are alerts themselves, so that two avoided
    # accounts do not hide each other; repeated until the alerts settle (a few passes at most).
    excluded: dict[int, set[str]] = {}
    for _ in range(MAX_PASSES):
        findings = judge(excluded)
        alerts: dict[int, set[str]] = defaultdict(set)
        for f in findings:
            if f.p_value <= f.threshold and f.effect >= BASELINE_EXCLUDE_RATIO:
                alerts[f.agent].add(f.account)
        if alerts == excluded:
            break
        excluded = dict(alerts)
    findings.sort(key=lambda f: (not f.alert, f.p_value))
    return Result(tested=len(pairs), findings=findings)
