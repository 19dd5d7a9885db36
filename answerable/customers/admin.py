from django.contrib import admin
from django.http import HttpRequest

from answerable.customers.models import Customer, CustomerEmail, Organisation, TermsFlag


class CustomerEmailInline(admin.TabularInline):
    model = CustomerEmail
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name", "emails__address"]
    raw_id_fields = ["organisation"]
    inlines = [CustomerEmailInline]


class TermsFlagInline(admin.TabularInline):
    model = TermsFlag
    extra = 0
    fk_name = "organisation"
    # Flags are set and cleared through customers.services (who, when, why); the admin only shows them.
    readonly_fields = ["kind", "reason", "auto_reply", "set_by", "set_at", "cleared_at", "cleared_by"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "yearly_value"]
    search_fields = ["name"]
    inlines = [TermsFlagInline]
