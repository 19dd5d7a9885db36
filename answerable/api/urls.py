from django.urls import path, re_path

from answerable.api.docs import asset
from answerable.api.errors import json_errors, not_found
from answerable.api.v1 import api

_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = json_errors(_pattern.callback)

urlpatterns = [
    path("v1/docs/assets/<str:name>", asset, name="api-docs-asset"),
    path("v1/", (_patterns, _app, _namespace)),
    re_path(r"^v1/", not_found),  # unknown endpoints answer in the API's error shape too
]
