from django.contrib import admin

from .models import OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    """Waiting tasks, without their arguments: an email's body may hold a password-reset link."""

    list_display = ("task", "owner", "created_at", "attempts", "last_error")
    list_filter = ("task",)
    fields = ("task", "owner", "created_at", "claimed_at", "attempts", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
