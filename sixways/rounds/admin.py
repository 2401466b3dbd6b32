from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse

from sixways.core import audit

from .models import Invitation, Round


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["title", "partnership", "mode", "status", "opens_on", "closes_on"]
    list_filter = ["status", "mode"]
    search_fields = ["title", "partnership__name"]
    actions = ["create_links"]

    @admin.action(description="Create a participant link for each partner organisation")
    def create_links(self, request, queryset):
        # Tokens are shown here once and stored only as hashes: copy them now.
        for round_ in queryset.select_related("partnership"):
            for partner in round_.partnership.partners.select_related("organisation"):
                _, token = Invitation.issue(round_, partner.organisation)
                link = settings.SITE_URL + reverse("rounds:start", args=[token])
                messages.info(request, f"{round_} – {partner.organisation}: {link}")
                audit.record(
                    request,
                    "link.created",
                    round_.partnership,
                    round_,
                    detail=f"{partner.organisation.name}, by a service administrator",
                )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Links are made by the action on rounds, so the token can be shown once; here they are
    only listed."""

    list_display = ["round", "organisation", "created_at"]
    list_filter = ["round"]
    fields = ["round", "organisation", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
