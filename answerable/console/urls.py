from django.urls import path

from answerable.console import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
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
]
