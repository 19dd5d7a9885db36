from django.contrib import admin

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
    raw_id_fields = ["set_by", "cleared_by"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "yearly_value"]
    search_fields = ["name"]
    inlines = [TermsFlagInline]
