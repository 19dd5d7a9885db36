from django.contrib import admin

from answerable.tickets.models import Macro, Tag


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "active"]
    list_filter = ["team", "active"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


# Tickets and messages change only through the console and the services, which record events.
