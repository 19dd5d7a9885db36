from django.contrib import admin

from answerable.portal.models import PortalSettings


@admin.register(PortalSettings)
class PortalSettingsAdmin(admin.ModelAdmin):
    list_display = ["slug", "team", "asks_for_budget", "asks_for_order_number"]


# Sign-in links change only through portal.services; no admin for them.
