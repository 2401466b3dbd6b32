from django.contrib import admin

from .models import AccessRequest, RoleInvitation


@admin.register(RoleInvitation)
class RoleInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "partnership", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "partnership__name"]
    # The token is sent once and only its hash is kept: there is nothing here to copy.
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]

    def has_add_permission(self, request):
        return False  # invitations are sent from the partnership's people page


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """Requests for an account from the public start page, newest first. Deleted by the
    retention run; an administrator may delete one once answered."""

    list_display = ["created_at", "partnership", "name", "organisation", "email"]
    search_fields = ["partnership", "name", "organisation", "email"]
    readonly_fields = ["name", "email", "organisation", "partnership", "message", "created_at"]

    def has_add_permission(self, request):
        return False
