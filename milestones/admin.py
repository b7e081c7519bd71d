from django.contrib import admin

from .models import CheckIn, Milestone, QuarterlyGoal


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("title", "due_date", "status", "done_at", "evidence_url", "position")


@admin.register(QuarterlyGoal)
class QuarterlyGoalAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "year", "quarter", "visibility", "updated_at")
    list_filter = ("year", "quarter", "visibility")
    search_fields = ("title", "owner__username")
    raw_id_fields = ("owner",)
    inlines = [MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("title", "goal", "status", "due_date", "done_at")
    list_filter = ("status",)
    search_fields = ("title", "goal__title", "goal__owner__username")
    raw_id_fields = ("goal",)
    list_select_related = ("goal",)


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    """Check-ins are append-only: they can be added and read here, never changed or deleted."""

    list_display = ("milestone", "author", "progress", "confidence", "created_at")
    search_fields = ("milestone__title", "author__username", "note")
    raw_id_fields = ("milestone", "author")
    list_select_related = ("milestone", "author")

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
