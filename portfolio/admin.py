from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("slug", "display_name", "user", "is_public", "open_to_work", "updated_at")
    list_filter = ("is_public", "open_to_work")
    search_fields = ("slug", "display_name", "user__username", "user__email")
    raw_id_fields = ("user",)
