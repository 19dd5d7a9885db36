from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "answerable.insights"
    label = "insights"
