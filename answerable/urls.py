from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from answerable.staff import login as staff_login

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox", permanent=False)),
    path("login/", staff_login.LoginView.as_view(), name="login"),  # failed attempts are rate limited
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("answerable.api.urls")),
    path("", include("answerable.console.urls")),
    path("", include("answerable.promises.urls")),
    path("", include("answerable.accounts.urls")),
    path("", include("answerable.portal.urls")),
    path("", include("answerable.search.urls")),
    path("", include("answerable.insights.urls")),
]  # fmt: skip
