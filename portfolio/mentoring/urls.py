from django.urls import path

from . import notification_views, review_views
from . import views as mentor_views

app_name = "mentoring"

urlpatterns = [
    # The mentor's side: dashboard with mentees and the inbox, accepting an invitation.
    path("mentoring/", mentor_views.dashboard, name="dashboard"),
    path("mentoring/inbox/<int:item_id>/ack/", mentor_views.inbox_ack, name="inbox-ack"),
    path("mentoring/inbox/ack/", mentor_views.inbox_ack_all, name="inbox-ack-all"),
    path("mentoring/accept/<str:token>/", mentor_views.invitation_accept, name="accept"),
    # The engineer's side: invitations, mentors, revocations and the audit trail.
    path("settings/mentors/", mentor_views.mentors, name="mentors"),
    path(
        "settings/mentors/<int:mentorship_id>/revoke/",
        mentor_views.mentorship_revoke,
        name="revoke",
    ),
    # Reading and discussing an engineer's work: the engineer and their current mentors.
    path("people/<slug:slug>/", review_views.person, name="person"),
    path(
        "people/<slug:slug>/projects/<slug:project_slug>/",
        review_views.project_review,
        name="project",
    ),
    path(
        "people/<slug:slug>/projects/<slug:project_slug>/r<int:number>/",
        review_views.revision_review,
        name="revision",
    ),
    path(
        "people/<slug:slug>/projects/<slug:project_slug>/r<int:number>/comments/",
        review_views.revision_comment,
        name="revision-comment",
    ),
    path(
        "people/<slug:slug>/projects/<slug:project_slug>/results/comments/",
        review_views.results_comment,
        name="results-comment",
    ),
    path(
        "people/<slug:slug>/milestones/<int:milestone_id>/",
        review_views.milestone_review,
        name="milestone",
    ),
    path(
        "people/<slug:slug>/milestones/<int:milestone_id>/comments/",
        review_views.milestone_comment,
        name="milestone-comment",
    ),
    path("feedback/<int:comment_id>/reply/", review_views.comment_reply, name="reply"),
    path("feedback/<int:comment_id>/resolve/", review_views.thread_resolve, name="resolve"),
    path("feedback/<int:comment_id>/reopen/", review_views.thread_reopen, name="reopen"),
    # Notifications: the page, the header's count (htmx), opening one, marking all read.
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/count/", notification_views.unread_badge, name="notifications-count"),
    path("notifications/read/", notification_views.mark_all_read, name="notifications-read"),
    path(
        "notifications/<int:notification_id>/",
        notification_views.notification_open,
        name="notification",
    ),
    path(
        "notifications/settings/",
        notification_views.notification_settings,
        name="notification-settings",
    ),
]
