from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "answerable.promises"
    label = "promises"
