from django.contrib import admin

from .models import Instrument


class ReadOnly(admin.ModelAdmin):
    """Instruments change only through a new data file, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(ReadOnly):
    list_display = ["title", "key", "version", "loaded_at"]
