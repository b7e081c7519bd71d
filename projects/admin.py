from django.contrib import admin

from .models import Project, ProjectRevision, Skill


class RevisionInline(admin.TabularInline):
    model = ProjectRevision
    fields = ("number", "author", "created_at", "change_note", "changed")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "status", "visibility", "updated_at")
    list_filter = ("status", "visibility")
    search_fields = ("title", "slug", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("current_revision", "title", "summary", "status")
    inlines = [RevisionInline]


@admin.register(ProjectRevision)
class ProjectRevisionAdmin(admin.ModelAdmin):
    """Revisions are immutable: the admin can read them, never add, change or delete one."""

    list_display = ("project", "number", "author", "created_at", "change_note")
    list_select_related = ("project", "author")
    search_fields = ("project__title", "change_note")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ("name",)
