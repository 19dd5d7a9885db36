"""The portal's forms: field rules and the spam checks that need no outside service."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.core import signing

from answerable.portal.models import PortalSettings

MIN_FILL = timedelta(seconds=3)  # people take longer than this to fill the form in; scripts do not
MAX_FILL = timedelta(days=1)
_STARTED_SALT = "answerable.portal.form-started"


def started_token(slug: str, now: datetime) -> str:
    """When the form was shown, signed so a script cannot claim it waited."""
    return signing.dumps({"f": slug, "at": now.timestamp()}, salt=_STARTED_SALT)


class RequestForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(label="Your email", help_text="We answer you here.")
    needed = forms.CharField(
        label="What do you need?", max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    by_when = forms.DateField(
        label="By when?",
        required=False,
        help_text="Optional.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    budget = forms.CharField(label="Budget", max_length=100, required=False, help_text="Optional.")
    order_number = forms.CharField(
        label="Order number", max_length=100, required=False, help_text="Optional."
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled by form-filling scripts.
    website = forms.CharField(required=False, label="Leave this empty")
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, portal: PortalSettings, now: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.portal = portal
        self.now = now
        if not portal.asks_for_budget:
            del self.fields["budget"]
        if not portal.asks_for_order_number:
            del self.fields["order_number"]
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean_by_when(self) -> object:
        value = self.cleaned_data.get("by_when")
        today = self.now.astimezone(ZoneInfo(self.portal.team.time_zone)).date()
        if value and value < today:
            raise forms.ValidationError(
                "That date has passed; choose today or a later day, or leave it empty."
            )
        return value

    def clean(self) -> dict:
        data = super().clean()
        if data.get("website"):
            self.spam = True
            raise forms.ValidationError("We could not accept this form. Please email us instead.")
        try:
            started = signing.loads(data.get("started") or "", salt=_STARTED_SALT)
            shown_at = datetime.fromtimestamp(float(started["at"]), tz=self.now.tzinfo)
            valid = started["f"] == self.portal.slug
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise forms.ValidationError(
                "This form was damaged on the way. Please check it and send it again."
            )
        if self.now - shown_at < MIN_FILL:
            raise forms.ValidationError("That was very quick. Please check your request and send it again.")
        if self.now - shown_at > MAX_FILL:
            raise forms.ValidationError(
                "This form was open for a long time. Please check it and send it again."
            )
        return data

    spam = False


class EmailForm(forms.Form):
    email = forms.EmailField(label="Your email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ReplyForm(forms.Form):
    text = forms.CharField(label="Your reply", max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput, required=False)


class ComplaintForm(forms.Form):
    text = forms.CharField(
        label="What went wrong?",
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A manager reads this and gets back to you.",
    )


class RatingForm(forms.Form):
    score = forms.ChoiceField(choices=[("good", "Good"), ("bad", "Bad")], widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Anything to add? (optional)",
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
