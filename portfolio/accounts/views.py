from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from ..api import tokens
from ..mentoring import mentorships, selectors
from ..models import ApiToken
from . import services
from .forms import ProfileForm, SignupForm

UNREADABLE_FORM = (
    "The form could not be read: a file name (or a field) is too long. Rename the file to "
    "something shorter and send it again."
)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400: a form whose body cannot be parsed (a file name of thousands of characters
    overflows a part's headers) goes back to the page it came from with the reason; anything
    else gets a page in the site's style."""
    if isinstance(exception, MultiPartParserError):
        back = request.headers.get("Referer", "")
        if back and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, UNREADABLE_FORM, fail_silently=True)
            return redirect(back)
        return render(request, "400.html", {"reason": UNREADABLE_FORM}, status=400)
    return render(request, "400.html", status=400)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers (no database, no session, no template)."""
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(selectors.landing_url_name(request.user))
    return render(request, "portfolio/home.html")


class LoginView(auth_views.LoginView):
    """Django's log-in; without a `next`, someone who only mentors lands on Mentoring."""

    def get_default_redirect_url(self) -> str:
        return resolve_url(selectors.landing_url_name(self.request.user))


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    # Where to go afterwards, e.g. back to a mentor invitation; only ever a page of this site.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "milestones:plan")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if mentoring := _accept_pending_invitation(request, user):
            return mentoring
        messages.success(request, "Welcome to Cairn. Start with a goal for this quarter.")
        return redirect(next_url or "milestones:plan")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def _accept_pending_invitation(request: HttpRequest, user) -> HttpResponse | None:
    """After sign-up by any link: the mentor invitation this browser opened, accepted."""
    try:
        mentorship = mentorships.invitation_accept_pending(session=request.session, user=user)
    except mentorships.InvitationError as error:
        why = {"expired": "it has expired", "revoked": "it was withdrawn", "used": "it was used"}
        reason = why.get(error.reason, "it cannot be used")
        messages.error(request, f"Welcome to Cairn. The mentor invitation you opened: {reason}.")
        return None
    if mentorship is None:
        return None
    profile = getattr(mentorship.engineer, "profile", None)
    name = profile.name if profile else mentorship.engineer.get_username()
    messages.success(request, f"Welcome to Cairn. You now mentor {name}.")
    return redirect("mentoring:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = services.profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.profile_update(profile=profile, data=form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    if form.is_bound:
        # Validation copied the refused values onto the instance; the page describes what is saved.
        profile.refresh_from_db()
    return render(request, "portfolio/profile_form.html", {"form": form, "profile": profile})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def slug_check(request: HttpRequest) -> HttpResponse:
    profile = services.profile_get_or_create(user=request.user)
    slug = request.GET.get("slug", "")
    ok, message = services.slug_availability(slug=slug, profile=profile)
    context = {"slug_ok": ok, "slug_message": message}
    if request.htmx:
        return render(request, "portfolio/profile_form.html#slug-status", context)
    return render(request, "portfolio/slug_check.html", context)


@login_required
@require_POST
def bio_preview(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portfolio/profile_form.html#bio-preview", {"bio": request.POST.get("bio", "")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_token = error = None
    if request.method == "POST":
        try:
            _token, new_token = tokens.token_create(
                user=request.user, name=request.POST.get("name", "")
            )
        except tokens.TokenRefused as exc:
            error = str(exc)
    return render(
        request,
        "portfolio/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),
            "new_token": new_token,
            "error": error,
            "typed_name": request.POST.get("name", "") if error else "",
        },
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, user=request.user, pk=token_id)
    tokens.token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked. It no longer works.")
    return redirect("api-tokens")
