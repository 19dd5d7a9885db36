from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "answerable.accounts"
    verbose_name = "Accounts"
