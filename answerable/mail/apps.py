from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "answerable.mail"
    label = "mail"
