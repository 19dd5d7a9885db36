from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "answerable.api"
    label = "api"
    verbose_name = "API and imports"
