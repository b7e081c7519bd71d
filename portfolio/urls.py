from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.urls import include, path

from .accounts import views
from .accounts.forms import CeleryPasswordResetForm, GuardedPasswordChangeForm
from .public import seo_views
from .public.seo import SITEMAPS

handler400 = "portfolio.accounts.views.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=CeleryPasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=GuardedPasswordChangeForm),
        name="password_change",
    ),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("settings/profile/", views.profile_edit, name="profile"),
    path("settings/profile/slug-check/", views.slug_check, name="profile-slug-check"),
    path("settings/profile/bio-preview/", views.bio_preview, name="profile-bio-preview"),
    path("settings/tokens/", views.api_tokens, name="api-tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("", include("portfolio.mentoring.urls")),
    path("", include("portfolio.public.urls")),
    path("robots.txt", seo_views.robots, name="robots"),
    path("sitemap.xml", sitemap_view, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("plan/", include("milestones.urls")),
    path("projects/", include("projects.urls")),
    path("projects/<slug:slug>/sync/", include("mlsync.urls")),
    path("api/v1/", include("portfolio.api.urls")),
    path("mlflow/", include("tracking.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
