from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "answerable.console"
    label = "console"
