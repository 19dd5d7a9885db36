from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "answerable.customers"
    label = "customers"
