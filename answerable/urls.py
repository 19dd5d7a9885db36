from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox", permanent=False)),
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html",
                                                redirect_authenticated_user=True), name="login"),
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
