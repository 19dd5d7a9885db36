from django.urls import path

from answerable.search import views

urlpatterns = [
    path("search/", views.results, name="search"),
]
