"""The report's period and scope from the URL: a preset (7, 30, 90 days) or explicit from/to dates."""

from datetime import date, datetime, time, timedelta, tzinfo

from django import forms

PRESETS = {"7": 7, "30": 30, "90": 90}
DEFAULT_PRESET = "30"
MAX_DAYS = 366


class ReportForm(forms.Form):
    preset = forms.ChoiceField(
        choices=[(k, f"Last {v} days") for k, v in PRESETS.items()] + [("", "Dates below")], required=False
    )
    start = forms.DateField(label="From", required=False)
    end = forms.DateField(label="To (included)", required=False)
    team = forms.IntegerField(required=False, min_value=1)
    agent = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data: object, *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean(self) -> dict:
        data = super().clean()
        start, end, preset = data.get("start"), data.get("end"), data.get("preset")
        if start or end:
            if not (start and end):
                raise forms.ValidationError("Give both a first and a last day, or choose a preset.")
            if end < start:
                raise forms.ValidationError("The last day is before the first day.")
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(f"A report covers at most {MAX_DAYS} days.")
            data["preset"] = ""
        else:
            preset = preset or DEFAULT_PRESET
            data["preset"] = preset
            data["end"] = self.today
            data["start"] = self.today - timedelta(days=PRESETS[preset] - 1)
        return data

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[first day 00:00, day after the last 00:00) in the viewer's zone."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        return (
            datetime.combine(start, time(0), tzinfo=tz),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz),
        )
