from django.urls import path

from answerable.insights import views

urlpatterns = [
    path("reports/", views.report, name="reports"),
    path("reports/report.csv", views.report_csv, name="reports_csv"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
