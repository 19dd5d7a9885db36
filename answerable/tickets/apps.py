from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "answerable.tickets"
    label = "tickets"
