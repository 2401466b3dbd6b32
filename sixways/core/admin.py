from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The whole audit log, for service administrators. Nobody edits history."""

    list_display = ["at", "actor", "action", "partnership", "target"]
    list_filter = ["action"]
    search_fields = ["action", "target", "detail", "actor__email", "partnership__name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
