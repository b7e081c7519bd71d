from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "People and portfolio"

    def ready(self) -> None:
        from django.urls import reverse

        from projects import people
        from projects.access import register_mentees_source

        from . import receivers  # noqa: F401 - connects the mentors' inbox to the plan
        from .celery import ensure_broker_folders
        from .mentoring import links as feedback_links
        from .models import Mentorship
        from .public import links as public_links

        ensure_broker_folders()
        register_mentees_source(Mentorship.objects.mentee_ids)
        # What the core's pages show of the people side, without naming it (projects/people.py).
        people.register_link(people.PROJECT_FEEDBACK, feedback_links.project_feedback)
        people.register_link(people.MILESTONE_FEEDBACK, feedback_links.milestone_feedback)
        people.register_link(people.RESULTS_FEEDBACK, feedback_links.results_feedback)
        people.register_open_threads(feedback_links.open_threads)
        people.register_link(people.PROJECT_PUBLIC, public_links.project_page)
        people.register_link(people.PROFILE_SETTINGS, lambda: reverse("profile"))
        people.register_profile_flags(public_links.profile_flags)
