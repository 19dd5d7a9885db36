from django.urls import path

from answerable.console import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("me/away/", views.away, name="me_away"),
    path("inbox/<slug:view>/", views.inbox, name="inbox_view"),
    path("t/<int:pk>/", views.ticket_detail, name="ticket"),
    path("t/<int:pk>/compose/", views.compose, name="ticket_compose"),
    path("t/<int:pk>/assign/", views.assign, name="ticket_assign"),
    path("t/<int:pk>/draft/promises/", views.draft_promises, name="ticket_draft_promises"),
    path("t/<int:pk>/status/", views.set_status, name="ticket_status"),
    path("t/<int:pk>/priority/", views.set_priority, name="ticket_priority"),
    path("t/<int:pk>/tags/", views.set_tags, name="ticket_tags"),
    path("t/<int:pk>/macro/<int:macro_id>/", views.macro, name="ticket_macro"),
    path("t/<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="ticket_attachment"),
    path("t/<int:pk>/messages/<int:message_id>/source/", views.message_source, name="ticket_message_source"),
    path("t/<int:pk>/presence/", views.presence, name="ticket_presence"),
    path("t/<int:pk>/escalate/", views.escalate, name="ticket_escalate"),
    path("t/<int:pk>/complaint/", views.complaint, name="ticket_complaint"),
    path(
        "t/<int:pk>/follow-up/<int:promise_id>/checked/",
        views.follow_up_checked,
        name="ticket_follow_up_checked",
    ),
    path("escalations/", views.escalations, name="escalations"),
    path("escalations/<int:pk>/hand-back/", views.hand_back, name="escalation_hand_back"),
]
