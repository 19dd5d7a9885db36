from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "answerable.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from answerable.accounts import checks  # noqa: F401 (registers the start-up checks)
