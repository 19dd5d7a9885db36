"""Agents and the teams they work in, with each team's business hours."""

import zoneinfo
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin)")


def validate_week_schedule(value: object) -> None:
    """{"mon": [["09:00", "17:00"]], ...}: each day a list of opening intervals, in the team's zone."""
    if not isinstance(value, dict):
        raise ValidationError("The week schedule must map weekdays to lists of [start, end] times.")
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(f"Unknown weekday {day!r}; use {', '.join(WEEKDAYS)}.")
        if not isinstance(intervals, list):
            raise ValidationError(f"{day}: expected a list of [start, end] pairs.")
        for pair in intervals:
            if not (isinstance(pair, list | tuple) and len(pair) == 2):
                raise ValidationError(f"{day}: {pair!r} is not a [start, end] pair.")
            start, end = pair
            if not (_is_hhmm(start) and _is_hhmm(end)) or start >= end:
                raise ValidationError(f"{day}: {start!r}-{end!r} is not a valid HH:MM interval.")


def _is_hhmm(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hh, mm = value[:2], value[3:]
    return hh.isdigit() and mm.isdigit() and (int(hh) < 24 or value == "24:00") and int(mm) < 60


def default_week_schedule() -> dict:
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    week_schedule = models.JSONField(default=default_week_schedule, validators=[validate_week_schedule])
    coach_gate = models.BooleanField(
        default=False, help_text="Refuse to send replies with tone findings (otherwise agents confirm)."
    )
    auto_send_resets = models.BooleanField(
        default=False,
        help_text="When a promise made to a customer breaks, send the reset message at once in the owner's "
        "name (otherwise it waits in the console for an agent to edit and send).",
    )
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="ISO country code for public holidays (the holidays package)."
    )

    class Assignment(models.TextChoices):
        MANUAL = "manual", "Manual"
        ROUND_ROBIN = "round_robin", "Round robin"
        LEAST_OPEN = "least_open", "Least open tickets"

    assignment = models.CharField(
        max_length=16, choices=Assignment.choices, default=Assignment.MANUAL,
        help_text="Who gets a new ticket: nobody (manual), the next agent in turn, or the least loaded.",
    )  # fmt: skip
    max_open_per_agent = models.PositiveIntegerField(
        null=True, blank=True, help_text="Automatic assignment skips agents with this many open tickets."
    )
    # Round robin's pointer: the agent who got the last ticket. Read and moved under a row lock on the team.
    last_assigned = models.ForeignKey(
        "staff.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamAddress(models.Model):
    """An inbound address; mail to it opens tickets for the team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="addresses")
    email = models.EmailField()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="team_address_unique_email")]

    def __str__(self) -> str:
        return self.email


class Holiday(models.Model):
    """A day the team is closed, beyond its country's public holidays."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "date"], name="holiday_once_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Agent(AbstractUser):
    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        SUPERVISOR = "supervisor", "Supervisor"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    notify_by_email = models.BooleanField(default=False, help_text="Also email promise warnings.")
    away = models.BooleanField(default=False, help_text="Away: automatic assignment skips them.")
    away_until = models.DateTimeField(
        null=True, blank=True, help_text="Back at this time (empty: away until unset)."
    )
    max_open_tickets = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the team's limit on open tickets for this agent."
    )

    def is_away_at(self, now: datetime) -> bool:
        return self.away and (self.away_until is None or now < self.away_until)

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = self.display_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"
