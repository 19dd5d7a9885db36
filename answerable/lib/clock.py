"""The one place the desk reads the time, so tests can move it (time-machine) and services take `now`."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
