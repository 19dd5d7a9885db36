from django.contrib import admin

from answerable.worker.models import Lease


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    """Read-only: which runner ran each periodic job last, and when it is next due."""

    list_display = ["name", "due_at", "holder", "held_until", "last_started_at", "last_finished_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
