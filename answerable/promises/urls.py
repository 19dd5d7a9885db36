from django.urls import path

from answerable.promises import views

urlpatterns = [
    path("promises/", views.board, name="promises"),
    path("promises/<slug:scope>/", views.board, name="promises_scope"),
    path("promise/<int:pk>/delivered/", views.delivered, name="promise_delivered"),
    path("promise/<int:pk>/drop/", views.drop, name="promise_drop"),
]
