from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    """Project records, revisions and experiment imports (built from issue 3 on)."""

    name = "projects"
    verbose_name = "Projects and experiments"
