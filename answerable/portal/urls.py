from django.urls import path

from answerable.portal import views
from answerable.satisfaction import views as satisfaction_views

app_name = "portal"

# Fixed words first: a team's form slug can never shadow them (PortalSettings refuses these slugs).
urlpatterns = [
    path("help/", views.home, name="home"),
    path("help/sign-in/", views.sign_in, name="sign_in"),
    path("help/sign-out/", views.sign_out, name="sign_out"),
    path("help/enter/<str:token>/", views.enter, name="enter"),
    path("help/requests/", views.request_list, name="requests"),
    path("help/requests/<int:pk>/", views.request_detail, name="request"),
    path("help/requests/<int:pk>/reply/", views.reply, name="reply"),
    path("help/requests/<int:pk>/rate/", views.rate, name="rate"),
    path("help/requests/<int:pk>/manager/", views.complain, name="complain"),
    path("help/requests/<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("help/rate/<str:token>/", satisfaction_views.survey, name="survey"),
    path("help/<slug:slug>/", views.request_form, name="request_form"),
    path("help/<slug:slug>/sent/", views.request_sent, name="request_sent"),
]
