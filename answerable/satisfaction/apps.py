from django.apps import AppConfig


class SatisfactionConfig(AppConfig):
    name = "answerable.satisfaction"
    label = "satisfaction"
