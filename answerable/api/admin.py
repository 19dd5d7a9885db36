from django.contrib import admin

from answerable.api.models import ApiToken, ImportedRecord


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read and revoke here; create with `manage.py api_token create` (the token is shown once)."""

    list_display = ["prefix", "name", "kind", "agent", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["agent"]
    readonly_fields = ["prefix", "digest", "agent", "kind", "created_at", "last_used_at"]
    raw_id_fields = ["agent"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ImportedRecord)
class ImportedRecordAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "external_id", "model", "object_id", "imported_at"]
    list_filter = ["source", "kind"]
    search_fields = ["external_id"]
    show_full_result_count = False
