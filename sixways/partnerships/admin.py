from django.contrib import admin

from .models import Membership, Organisation, Partner, Partnership


class PartnerInline(admin.TabularInline):
    model = Partner
    autocomplete_fields = ["organisation"]
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name"]
    inlines = [PartnerInline, MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "code"]
    list_filter = ["sector"]
    search_fields = ["name", "code"]
