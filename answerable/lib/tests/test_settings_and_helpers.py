import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from answerable.lib.attachments import AttachmentRejected, check_attachment
from answerable.lib.html import sanitise
from answerable.settings import env_bool

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("False", False), ("no", False)])
def test_booleans_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", default=not expected) is expected


def test_a_misspelt_boolean_stops_start_up(monkeypatch):
    monkeypatch.setenv("X_FLAG", "flase")
    with pytest.raises(ImproperlyConfigured, match="flase"):
        env_bool("X_FLAG", default=False)


def _settings_in_fresh_process(tmp_path, **env) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'answerable.settings'; django.setup(); "
        "from django.conf import settings as s; "
        "print(s.SECRET_KEY, s.DEBUG, s.DATABASES['default']['ENGINE'])"
    )
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "ANSWERABLE_DEBUG"}
    }
    out = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", code], env=clean | {"ANSWERABLE_DATA_DIR": str(tmp_path)} | env, cwd=ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_embedded_defaults_generate_and_keep_a_secret_key_with_debug_off_on_sqlite(tmp_path):
    first = _settings_in_fresh_process(tmp_path)
    second = _settings_in_fresh_process(tmp_path)
    key, debug, engine = first.split()
    assert len(key) > 40 and first == second
    assert debug == "False"
    assert engine == "django.db.backends.sqlite3"
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_the_embedded_outbox_is_a_folder_in_the_data_dir_and_file_urls_stay_absolute(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'answerable.settings'; django.setup(); "
        "from django.conf import settings as s; print(s.EMAIL_FILE_PATH)"
    )
    clean = {k: v for k, v in os.environ.items() if k != "EMAIL_URL"} | {"ANSWERABLE_DATA_DIR": str(tmp_path)}
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, env=clean, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == str(tmp_path.resolve() / "outbox")
    clean["EMAIL_URL"] = "filemail:///srv/answerable/mail-out"
    out = subprocess.run(run, env=clean, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "/srv/answerable/mail-out"


def test_database_url_selects_postgresql(tmp_path):
    out = _settings_in_fresh_process(
        tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/x", SECRET_KEY="k" * 50
    )
    assert out.endswith("django.db.backends.postgresql")


def test_sanitiser_removes_script_handlers_and_javascript_links_and_defers_remote_images():
    html = sanitise(
        '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(1)">x</a>'
        '<img src="https://tracker.example/p.gif" onerror="alert(1)"><style>p{}</style></p>'
    )
    assert "script" not in html and "onclick" not in html and "onerror" not in html
    assert "javascript:" not in html
    assert " src=" not in html and 'data-src="https://tracker.example/p.gif"' in html


def test_attachments_over_the_limit_are_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(AttachmentRejected, match="limit"):
        check_attachment("big.txt", b"x" * 11, "text/plain")


def test_a_program_disguised_as_an_image_is_refused():
    with pytest.raises(AttachmentRejected):
        check_attachment("cat.jpg", b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg")


def test_stored_type_comes_from_the_content_when_recognisable():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    assert check_attachment("scan.pdf", png, "application/pdf") == "image/png"
