from django.contrib import admin

from answerable.promises.models import SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "priority", "organisation", "first_response", "resolution", "active"]
    list_filter = ["team", "active"]
    raw_id_fields = ["organisation"]


# Promises themselves change only through the ledger's services (they record events); no admin for them.
