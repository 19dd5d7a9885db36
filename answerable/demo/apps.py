from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py demo`: a believable help desk for trying Answerable on one machine. No models."""

    name = "answerable.demo"
    label = "demo"
