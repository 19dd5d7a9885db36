from django.apps import AppConfig


class CoachConfig(AppConfig):
    name = "answerable.coach"
    label = "coach"
