from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "answerable.staff"
    label = "staff"
