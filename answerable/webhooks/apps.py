from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "answerable.webhooks"
    label = "webhooks"
