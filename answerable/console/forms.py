"""Validation only: cleaned data goes to a service."""

from django import forms

from answerable.tickets.models import Priority, Status


class ComposeForm(forms.Form):
    kind = forms.ChoiceField(choices=[("reply", "Reply"), ("note", "Note")], initial="reply")
    text = forms.CharField(widget=forms.Textarea, strip=True, max_length=100_000)
    idempotency_key = forms.CharField(max_length=64, required=False)
    seen_message_id = forms.IntegerField(required=False, min_value=0)
    status_after = forms.ChoiceField(choices=[("", "Keep status"), *Status.choices], required=False)
    send_anyway = forms.BooleanField(required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)


class TagsForm(forms.Form):
    tags = forms.CharField(required=False, max_length=1000)


class AssignForm(forms.Form):
    assignee = forms.CharField(required=False)  # an agent id, or empty for nobody


class EscalateForm(forms.Form):
    # "agent:<id>" or "team:<id>": one picker for both kinds of target.
    target = forms.RegexField(regex=r"^(agent|team):\d+$", error_messages={"invalid": "Choose whom to ask."})
    note = forms.CharField(widget=forms.Textarea, strip=True, max_length=5000)
    due = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M"])  # in the team's zone
    holding_reply = forms.BooleanField(required=False)
    holding_text = forms.CharField(widget=forms.Textarea, strip=True, max_length=5000, required=False)


class HandBackForm(forms.Form):
    guidance = forms.CharField(widget=forms.Textarea, strip=True, max_length=5000)


class ComplaintForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, strip=True, max_length=5000)
