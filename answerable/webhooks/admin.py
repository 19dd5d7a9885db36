from django.contrib import admin
from django.http import HttpRequest

from answerable.webhooks import services
from answerable.webhooks.models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Create with `manage.py webhook create` (it shows the signing secret); here: read, enable, disable."""

    list_display = ["name", "url", "team", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_by", "created_at"]
    actions = ["enable", "disable"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Subscription, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.forget_subscriptions()

    @admin.action(description="Enable (and reset the failure count)")
    def enable(self, request: HttpRequest, queryset: object) -> None:
        from answerable.lib import clock

        for sub in queryset:  # type: ignore[attr-defined]
            services.set_active(sub, True, now=clock.now())

    @admin.action(description="Disable")
    def disable(self, request: HttpRequest, queryset: object) -> None:
        from answerable.lib import clock

        for sub in queryset:  # type: ignore[attr-defined]
            services.set_active(sub, False, now=clock.now(), reason=f"Disabled by {request.user}.")


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "error", "duration_ms"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every event sent to each subscription, with its attempts."""

    list_display = ["event", "subscription", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event", "subscription"]
    list_select_related = ["subscription"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
