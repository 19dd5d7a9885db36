"""Avoidance detection on a simulated month: precision and recall of the alerts against planted avoiders.

    .venv/bin/python bench/avoidance_sim.py                 # seeds 1-20
    .venv/bin/python bench/avoidance_sim.py --seeds 100 --planted 5 --verbose

A month of traffic for 20 agents in 4 teams of 5 and 200 accounts, fed to
`answerable.accounts.avoidance.find_avoidance`, the very function `manage.py detect_avoidance` runs on the
waits it reads from the database (accounts.services.collect_traffic); only the data is simulated. Realistic
noise, per seed:

- agents differ: each has a base speed, a median wait between 20 minutes and 4 hours (log-uniform);
- accounts differ in volume: conversations a month drawn from a heavy tail (1 to 80, most below 10), each
  with 1-4 customer messages to answer;
- an account belongs to a team; its primary agent takes 70% of its conversations, team-mates the rest;
- each response time is log-normal around agent speed x account factor (sigma 0.9: a slow answer 5x the
  median is common); every agent/account pair gets its own small persistent bias (sigma 0.2), and one
  account in ten is genuinely hard, 1.3-2x slower for everybody;
- planted avoiders: `--planted` pairs (default 4) where the primary agent of an account with enough traffic
  is 3-5x slower with it than usual.

Printed per seed: planted pairs, alerts, true and false positives; then precision and recall over all
seeds, and the seeds with a miss or more than one false alert. Runs in seconds; no database.
"""

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from answerable.accounts.avoidance import Sample, find_avoidance

AGENTS, TEAMS, ACCOUNTS = 20, 4, 200
SIGMA = 0.9
PAIR_SIGMA = 0.15  # persistent per agent/account bias, truncated at 2 sigma: at most 1.35x slower or faster
PRIMARY_SHARE = 0.7
MIN_PLANTED_RESPONSES = 20  # expected answers of the avoider to the account in the month


def simulate(
    seed: int, planted: int, *, hard_share: float = 0.1, pair_sigma: float = PAIR_SIGMA
) -> tuple[list[Sample], set[tuple[int, str]], dict]:
    """The waits, the planted pairs, and the truth behind every pair: (personal factor, account hardness)."""
    rng = random.Random(seed)
    team_agents = {t: list(range(t * AGENTS // TEAMS, (t + 1) * AGENTS // TEAMS)) for t in range(TEAMS)}
    speed = {a: math.exp(rng.uniform(math.log(20 * 60), math.log(4 * 3600))) for a in range(AGENTS)}
    accounts = []
    for i in range(ACCOUNTS):
        team = rng.randrange(TEAMS)
        volume = min(80, max(1, int(rng.paretovariate(1.3) * 2)))
        hard = rng.uniform(1.3, 2.0) if rng.random() < hard_share else 1.0
        accounts.append((f"acct{i}", team, rng.choice(team_agents[team]), volume, hard))
    # Avoiders: primary agents of accounts busy enough for the primary to answer them a dozen times or more.
    busy = [a for a in accounts if a[3] * PRIMARY_SHARE * 2.5 >= MIN_PLANTED_RESPONSES]
    rng.shuffle(busy)
    avoided = {(primary, name): rng.uniform(3.0, 5.0) for name, _, primary, _, _ in busy[:planted]}
    bias: dict[tuple[int, str], float] = {}
    samples = []
    for name, team, primary, volume, hard in accounts:
        for _ in range(volume):
            agent = primary if rng.random() < PRIMARY_SHARE else rng.choice(team_agents[team])
            key = (agent, name)
            if key not in bias:  # a planted pair's slowdown is all of its difference
                bias[key] = 1.0 if key in avoided else math.exp(max(-2, min(2, rng.gauss(0, 1))) * pair_sigma)
            median = speed[agent] * hard * bias[key] * avoided.get(key, 1.0)
            for _ in range(rng.randint(1, 4)):
                samples.append(Sample(agent, name, rng.lognormvariate(math.log(median), SIGMA)))
    hardness = {name: hard for name, _, _, _, hard in accounts}
    truth = {key: (b * avoided.get(key, 1.0), hardness[key[1]]) for key, b in bias.items()}
    return samples, set(avoided), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--planted", type=int, default=4)
    parser.add_argument("--hard-share", type=float, default=0.1, help="share of accounts hard for everybody")
    parser.add_argument("--pair-sigma", type=float, default=PAIR_SIGMA, help="persistent agent/account bias")
    parser.add_argument("--verbose", action="store_true", help="print every alert's evidence")
    args = parser.parse_args()

    tp = fp = fn = 0
    bad_seeds = []
    started = time.perf_counter()
    print(f"{'seed':>5} {'waits':>6} {'pairs':>6} {'planted':>7} {'alerts':>6} {'found':>5} {'false':>5}")
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        samples, planted, truth = simulate(
            seed, args.planted, hard_share=args.hard_share, pair_sigma=args.pair_sigma
        )
        result = find_avoidance(samples)
        alerts = {(f.agent, f.account) for f in result.alerts}
        found, false = alerts & planted, alerts - planted
        tp, fp, fn = tp + len(found), fp + len(false), fn + len(planted - alerts)
        if planted - alerts or len(false) > 1:
            bad_seeds.append(seed)
        print(f"{seed:>5} {len(samples):>6} {result.tested:>6} {len(planted):>7} {len(alerts):>6} "
              f"{len(found):>5} {len(false):>5}")  # fmt: skip
        if args.verbose:
            for f in result.alerts:
                mark = "planted" if (f.agent, f.account) in planted else "FALSE"
                personal, hard = truth[(f.agent, f.account)]
                print(
                    f"      agent {f.agent:>2} {f.account:<8} {mark:<7} n={f.n_account}/{f.n_other} "
                    f"medians {f.median_account / 60:.0f}/{f.median_other / 60:.0f} min ratio {f.ratio:.1f} "
                    f"difficulty {f.difficulty:.2f} p={f.p_value:.1e} < {f.threshold:.1e} "
                    f"| truth: {personal:.2f}x personal, account {hard:.2f}x hard"
                )
            for pair in sorted(planted - alerts):
                near = [f for f in result.findings if (f.agent, f.account) == pair]
                why = (f"p={near[0].p_value:.1e} effect {near[0].effect:.2f} n={near[0].n_account}"
                       if near else "not tested (too few responses)")  # fmt: skip
                print(f"      missed agent {pair[0]} {pair[1]}: {why}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"\n{args.seeds} seeds, {args.planted} planted pairs each: precision {precision:.3f}, "
        f"recall {recall:.3f} ({tp} found, {fn} missed, {fp} false alerts) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print("target (all planted found, at most one false alert) missed on seeds:", bad_seeds or "none")


if __name__ == "__main__":
    main()
