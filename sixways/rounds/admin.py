from django.contrib import admin

from .models import Invitation, Round


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["title", "partnership", "mode", "status", "opens_on", "closes_on"]
    list_filter = ["status", "mode"]
    search_fields = ["title", "partnership__name"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Links are made by the service so the token can be shown once; the admin only lists them."""

    list_display = ["round", "organisation", "created_at"]
    list_filter = ["round"]
    fields = ["round", "organisation", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
