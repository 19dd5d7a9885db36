from answerable.mail.tests.smtp_capture import smtp_capture  # noqa: F401 (a fixture for this folder)
