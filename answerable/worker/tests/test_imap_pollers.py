"""Two machines polling the same mailbox at the same moment store each message once (the periodic runner's
lease normally keeps them apart; this is the case where it does not, e.g. a poll longer than its hold)."""

from collections import Counter

import pytest

from answerable.mail.tests.dovecot import dovecot_fixture  # noqa: F401 (the `dovecot` fixture)
from answerable.mail.tests.test_imap import Desk, append, mail, unseen


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_store_each_message_exactly_once(dovecot, tmp_path):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(400)])
    desk = Desk(tmp_path, dovecot, user)
    pollers = [desk.start("--once"), desk.start("--once")]
    for poller in pollers:
        _, errors = poller.communicate(timeout=120)
        assert poller.returncode == 0, errors
    assert unseen(dovecot, user) == []
    assert Counter(desk.counts()["inbound"]) == Counter(f"<imap-{n}@imap.example>" for n in range(400))
