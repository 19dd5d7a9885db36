"""A report: the metrics of a period and scope, as figures (caption, chart, table). The page and the CSV
are both written from the same figures, so they cannot disagree."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from django.utils.safestring import SafeString

from answerable.coach.checks import CHECKS
from answerable.console.templatetags.console import coach_label
from answerable.insights import durations, metrics
from answerable.insights.charts import Bar, bar_chart
from answerable.insights.metrics import ALL, DurationStats, Period, Scope, Share
from answerable.staff.models import Agent

COUNT, DURATION, SHARE = "count", "duration", "share"
REFRESH_ROWS = 5000  # rows of each kind a report request measures at most (about a second or two)


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@dataclass(frozen=True)
class Cell:
    value: int | float | timedelta | None
    kind: str = COUNT

    @property
    def display(self) -> str:
        if self.kind == DURATION:
            return format_duration(self.value)
        if self.kind == SHARE:
            return format_share(self.value)
        return "—" if self.value is None else str(self.value)

    @property
    def csv(self) -> str:
        """Machine form: minutes for durations, percent for shares (one decimal each), "" for none."""
        if self.value is None:
            return ""
        if self.kind == DURATION:
            return f"{self.value.total_seconds() / 60:.1f}"
        if self.kind == SHARE:
            return f"{self.value * 100:.1f}"
        return str(self.value)


@dataclass
class Figure:
    key: str
    title: str
    caption: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    chart: SafeString | None = None
    business_hours: bool = False
    note: str = ""


@dataclass
class Report:
    period: Period
    scope: Scope
    complete: bool = True  # False: older replies or solves are not measured yet, durations may be missing
    figures: list[Figure] = field(default_factory=list)

    def csv_rows(self) -> list[list[str]]:
        out = [["figure", "row", "column", "value"]]
        for f in self.figures:
            for label, cells in f.rows:
                out.extend(
                    [f.title, label, column, cell.csv] for column, cell in zip(f.columns, cells, strict=True)
                )
        return out


def _share_cells(share: Share) -> list[Cell]:
    return [Cell(share.part), Cell(share.whole), Cell(share.value, SHARE)]


def _times_figure(frt: DurationStats, nrt: DurationStats, res: DurationStats) -> Figure:
    rows = [("First response", frt), ("Next response", nrt), ("Resolution", res)]
    if frt.median is not None:
        caption = (
            f"Median first response {format_duration(frt.median)}, 90 % within {format_duration(frt.p90)}"
        )
        caption += f" ({frt.count} tickets)."
    else:
        caption = "No first response in this period."
    bars = [
        Bar(
            f"{label} · {name}",
            value.total_seconds() / 60 if value is not None else None,
            format_duration(value),
        )
        for label, s in rows
        for name, value in (("median", s.median), ("90th pct", s.p90))
    ]
    return Figure(
        key="times",
        title="Response and resolution times",
        caption=caption,
        columns=["Counted", "Median", "90th percentile"],
        rows=[(label, [Cell(s.count), Cell(s.median, DURATION), Cell(s.p90, DURATION)]) for label, s in rows],
        chart=bar_chart(
            "chart-times",
            title="Response and resolution times, in business hours",
            desc="; ".join(f"{b.label}: {b.text}" for b in bars),
            bars=bars,
        ),
        business_hours=True,
    )


def _first_contact_figure(fcr: Share, ack: metrics.Acknowledgement) -> Figure:
    caption = (
        f"{format_share(fcr.value)} of solved tickets were solved with one reply; "
        f"{format_share(ack.share.value)} of acknowledgements went out within a minute "
        f"({ack.acknowledged} of {ack.new} new tickets were acknowledged)."
    )
    bars = [
        Bar("Solved at first contact", _pct(fcr.value), format_share(fcr.value)),
        Bar("Acknowledged within 1 min", _pct(ack.share.value), format_share(ack.share.value)),
    ]
    return Figure(
        key="first_contact",
        title="First contact and acknowledgement",
        caption=caption,
        columns=["Yes", "Of", "Share"],
        rows=[
            ("Solved at first contact (of solved)", _share_cells(fcr)),
            ("Acknowledged within a minute (of acknowledged)", _share_cells(ack.share)),
            ("Acknowledged at all (of new tickets)", _share_cells(Share(ack.acknowledged, ack.new))),
        ],
        chart=bar_chart(
            "chart-first-contact",
            title="First-contact resolution and acknowledgement within a minute, as shares",
            desc="; ".join(f"{b.label}: {b.text}" for b in bars),
            bars=bars,
        ),
    )


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def _counts_figure(
    key: str, title: str, caption: str, counts: dict[str, int], column: str, **kw: object
) -> Figure:
    bars = [Bar(label, n, str(n)) for label, n in counts.items()]
    return Figure(
        key=key,
        title=title,
        caption=caption,
        columns=[column],
        rows=[(label, [Cell(n)]) for label, n in counts.items()],
        chart=bar_chart(
            f"chart-{key}",
            title=title,
            desc="; ".join(f"{b.label}: {b.text}" for b in bars) or "No data.",
            bars=bars,
        ),
        **kw,
    )


def build(
    period: Period,
    scope: Scope,
    *,
    now: datetime,
    tz: tzinfo,
    agents: list[Agent] | None = None,
) -> Report:
    """The whole report. `agents`: show a per-agent table for these agents (None: no table)."""
    by_agent = agents is not None
    # once for every cached metric; a bounded amount per request (a never-measured history is caught up
    # over several reports, or at once by `manage.py insights_refresh`), said on the page until complete
    complete = durations.refresh(steps=1, chunk=REFRESH_ROWS)
    frt = metrics.first_response_time(period, scope, by_agent=by_agent, refreshed=True)
    nrt = metrics.next_response_time(period, scope, by_agent=by_agent, refreshed=True)
    res = metrics.resolution_time(period, scope, by_agent=by_agent, refreshed=True)
    fcr = metrics.first_contact_resolution(period, scope, by_agent=by_agent, refreshed=True)
    ack = metrics.acknowledged_within_minute(period, scope, refreshed=True)
    as_of, backlog = metrics.backlog_by_age(period, scope, now=now)
    promises = metrics.promise_outcomes(period, scope, by_agent=by_agent)
    ratings = metrics.satisfaction(period, scope, by_agent=by_agent)
    kinds = metrics.coach_findings_by_kind(period, scope)
    trend = metrics.coach_findings_trend(period, scope, tz=tz)

    report = Report(period, scope, complete=complete)
    report.figures.append(_times_figure(frt[ALL], nrt[ALL], res[ALL]))
    report.figures.append(_first_contact_figure(fcr[ALL], ack))
    report.figures.append(
        _counts_figure(
            "backlog",
            "Backlog by age",
            f"{sum(backlog.values())} tickets open on {as_of.astimezone(tz):%-d %b %Y, %H:%M}, by age.",
            backlog,
            "Open tickets",
            note="Calendar time since the ticket was opened.",
        )
    )
    p = promises[ALL]
    report.figures.append(
        _counts_figure(
            "promises",
            "Promises kept and broken",
            f"{p.kept} kept, {p.broken} broken ({format_share(p.kept_share.value)} kept); "
            f"{p.reset} reset before they broke.",
            {"Kept": p.kept, "Broken": p.broken, "Reset": p.reset},
            "Promises",
        )
    )
    if scope.agent_id is None:
        from answerable.tickets.recovery import summary

        r = summary(since=period.start, until=period.end, team_ids=scope.team_ids)
        report.figures.append(
            _counts_figure(
                "recovery",
                "Service recovery",
                f"{r.started} recoveries started ({r.after_broken_promise} after a broken promise, "
                f"{r.after_complaint} after a complaint): {r.kept} kept their new promise, {r.broken} broke "
                f"it, {r.still_open} still open; afterwards {r.rated_good_after} good and "
                f"{r.rated_bad_after} bad ratings.",
                {
                    "Kept": r.kept,
                    "Broken": r.broken,
                    "Still open": r.still_open,
                    "Good rating after": r.rated_good_after,
                    "Bad rating after": r.rated_bad_after,
                },
                "Recoveries",
            )
        )
    s = ratings[ALL]
    report.figures.append(
        _counts_figure(
            "satisfaction",
            "Satisfaction",
            f"{format_share(s.share_good.value)} good ({s.good} good, {s.bad} bad).",
            {"Good": s.good, "Bad": s.bad},
            "Ratings",
        )
    )
    # every kind, the most frequent first and those not seen with 0, by the labels the console uses
    all_kinds = {coach_label(k): n for k, n in (kinds | {k: 0 for k in CHECKS if k not in kinds}).items()}
    report.figures.append(
        _counts_figure(
            "coach",
            "Coach findings by kind",
            f"{sum(kinds.values())} findings"
            + (f", most often {coach_label(next(iter(kinds)))}." if kinds else "."),
            all_kinds,
            "Findings",
        )
    )
    weekly = {f"Week of {week:%-d %b}": sum(by_kind.values()) for week, by_kind in trend}
    report.figures.append(
        _counts_figure(
            "coach_trend",
            "Coach findings per week",
            _trend_caption(list(weekly.values())),
            weekly,
            "Findings",
            note="Weeks start on Monday; the first and last may be partial.",
        )
    )
    # "Cost to serve by account" is added by the view (cost_figure): it depends on who is looking.
    if by_agent:
        report.figures.append(_agents_figure(agents, frt, res, fcr, promises, ratings, period, scope))
    return report


def cost_figure(ranked: list) -> Figure:
    """Cost to serve by account (`accounts.queries.ranked_accounts`: those costing most per unit of value
    first), as a table; the cost model is the accounts app's (docs/accounts.md)."""
    rows = [
        (
            r.organisation.name,
            [
                Cell(r.figures.conversations),
                Cell(r.figures.messages),
                Cell(round(r.figures.handling_hours, 1)),
                Cell(float(r.figures.cost)),
                Cell(float(r.figures.value)),
                Cell(None if r.figures.cost_ratio is None else round(r.figures.cost_ratio, 2)),
            ],
        )
        for r in ranked
    ]
    over = sum(1 for r in ranked if r.figures.cost_ratio is None or r.figures.cost_ratio > 1)
    return Figure(
        key="cost_to_serve",
        title="Cost to serve by account",
        caption=f"{len(ranked)} accounts with activity; {over} cost more to serve than they pay.",
        columns=["Conversations", "Messages", "Handling hours", "Cost to serve", "Value", "Cost / value"],
        rows=rows,
        note="Across the teams you can see; costliest per unit of value first. See the Accounts page.",
    )


def _trend_caption(counts: list[int]) -> str:
    if len(counts) < 2:
        return f"{sum(counts)} findings."
    first, last = counts[0], counts[-1]
    direction = "up" if last > first else "down" if last < first else "unchanged"
    return f"{last} findings in the last week, {direction} from {first} in the first."


def _agents_figure(
    agents: list[Agent],
    frt: dict,
    res: dict,
    fcr: dict,
    promises: dict,
    ratings: dict,
    period: Period,
    scope: Scope,
) -> Figure:
    findings = metrics.coach_findings_by_agent(period, scope)
    empty = DurationStats(0, None, None)
    rows = []
    for agent in agents:
        f, r = frt.get(agent.pk, empty), res.get(agent.pk, empty)
        p = promises.get(agent.pk, metrics.PromiseOutcomes(0, 0, 0))
        s = ratings.get(agent.pk, metrics.Satisfaction(0, 0))
        rows.append(
            (
                agent.display_name,
                [
                    Cell(f.median, DURATION),
                    Cell(r.count),
                    Cell(r.median, DURATION),
                    Cell(fcr.get(agent.pk, Share(0, 0)).value, SHARE),
                    Cell(p.kept),
                    Cell(p.broken),
                    Cell(s.share_good.value, SHARE),
                    Cell(findings.get(agent.pk, 0)),
                ],
            )
        )
    return Figure(
        key="agents",
        title="By agent",
        caption=f"{len(agents)} agents.",
        columns=[
            "First response (median)",
            "Solved",
            "Resolution (median)",
            "First contact",
            "Promises kept",
            "Promises broken",
            "Good ratings",
            "Coach findings",
        ],
        rows=rows,
        business_hours=True,
    )
