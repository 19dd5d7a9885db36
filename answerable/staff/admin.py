from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from answerable.staff.models import Agent, Holiday, Team, TeamAddress


class TeamAddressInline(admin.TabularInline):
    model = TeamAddress
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_country", "assignment", "max_open_per_agent"]
    inlines = [TeamAddressInline, HolidayInline]


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active", "away"]
    list_filter = ["role", "is_active", "teams", "away"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Help desk", {"fields": ["role", "teams", "time_zone"]}),
        ("Availability", {"fields": ["away", "away_until", "max_open_tickets"]}),
    ]
