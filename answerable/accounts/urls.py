from django.urls import path

from answerable.accounts import views

urlpatterns = [
    path("accounts/", views.accounts_list, name="accounts"),
    path("accounts/o/<int:pk>/", views.organisation, name="account_organisation"),
    path("accounts/c/<int:pk>/", views.customer, name="account_customer"),
    path("accounts/o/<int:pk>/notes/", views.add_note, {"kind": "o"}, name="account_organisation_note"),
    path("accounts/c/<int:pk>/notes/", views.add_note, {"kind": "c"}, name="account_customer_note"),
    path("accounts/o/<int:pk>/flags/", views.set_flag, name="account_flag_set"),
    path("accounts/flags/<int:pk>/clear/", views.clear_flag, name="account_flag_clear"),
    path("accounts/avoidance/", views.alerts, name="avoidance_alerts"),
    path("accounts/avoidance/<int:pk>/reassign/", views.reassign, name="avoidance_reassign"),
    path("accounts/avoidance/<int:pk>/dismiss/", views.dismiss, name="avoidance_dismiss"),
    path("accounts/t/<int:pk>/beat/", views.heartbeat, name="handling_beat"),
    path("accounts/t/<int:pk>/panel/", views.ticket_panel, name="account_ticket_panel"),
]
