"""The API's docs page: Swagger UI from the files inside the django-ninja package, served by us.

So the page works without internet access (ninja's default loads it from a CDN), and `ninja` need not be an
installed app: as one, it is imported at every process start (~0.4 s for each worker and command).
"""

import json
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from ninja.openapi.docs import Swagger

ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}
_FOLDER = Path(ninja.__file__).parent / "static" / "ninja"


class OfflineSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings), "api": api}
        return render(request, "api/swagger.html", context)


@require_GET
def asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:  # only these files: the name never becomes a path on its own
        raise Http404("No such file")
    response = FileResponse((_FOLDER / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response
