from django.contrib import admin

from .models import LiveRun


@admin.register(LiveRun)
class LiveRunAdmin(admin.ModelAdmin):
    """Runs logged through the MLflow API, read-only: the API is the one way to change them."""

    list_display = ("uuid", "run", "status", "lifecycle_stage", "client", "last_point_at")
    list_filter = ("status", "lifecycle_stage")
    search_fields = ("uuid", "run__name", "user__username")
    readonly_fields = [f.name for f in LiveRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
