from django.urls import path

from . import chart_views, views

app_name = "milestones"

urlpatterns = [
    path("", views.plan, name="plan"),
    path("<int:year>/q<int:quarter>/", views.quarter, name="quarter"),
    path("<int:year>/q<int:quarter>/charts/burnup/", chart_views.burnup, name="chart-burnup"),
    path("charts/best-so-far/", chart_views.best_so_far, name="chart-best"),
    path("charts/activity/", chart_views.activity, name="chart-activity"),
    path("goals/new/", views.goal_create, name="goal-create"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="goal-edit"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="goal-delete"),
    path("goals/<int:goal_id>/title/", views.goal_title, name="goal-title"),
    path("goals/<int:goal_id>/milestones/new/", views.milestone_create, name="milestone-create"),
    path("milestones/<int:milestone_id>/", views.milestone_detail, name="milestone"),
    path("milestones/<int:milestone_id>/status/", views.milestone_status, name="milestone-status"),
    path("milestones/<int:milestone_id>/title/", views.milestone_title, name="milestone-title"),
    path("milestones/<int:milestone_id>/delete/", views.milestone_delete, name="milestone-delete"),
    path(
        "milestones/<int:milestone_id>/checkins/new/", views.checkin_create, name="checkin-create"
    ),
]
