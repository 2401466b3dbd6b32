from django.contrib import admin

from .models import RoleInvitation


@admin.register(RoleInvitation)
class RoleInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "partnership", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "partnership__name"]
    # The token is sent once and only its hash is kept: there is nothing here to copy.
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]

    def has_add_permission(self, request):
        return False  # invitations are sent from the partnership's people page
