from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "answerable.portal"
    label = "portal"
