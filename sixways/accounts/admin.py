from django.contrib import admin

from .models import AuditEntry, RoleInvitation


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


@admin.register(RoleInvitation)
class RoleInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "partnership", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "partnership__name"]
    # The token is sent once and only its hash is kept: there is nothing here to copy.
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]

    def has_add_permission(self, request):
        return False  # invitations are sent from the partnership's people page
