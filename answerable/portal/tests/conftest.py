import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from answerable.portal.models import PortalSettings
from answerable.portal.tests.helpers import NOW, link_in


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def clock():
    """Real time frozen at NOW for views (they read clock.now()); move it with clock.shift(seconds)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def billing_form(world) -> PortalSettings:
    return PortalSettings.objects.create(
        team=world.billing, slug="billing", asks_for_order_number=True, intro="We answer within a day."
    )


@pytest.fixture
def sign_in_as(client, django_capture_on_commit_callbacks, mailoutbox):
    """Sign a customer in the way a customer does: ask for a link, open it, press Continue."""

    def do(address: str):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("portal:sign_in"), {"email": address})
        response = client.post(link_in(mailoutbox[-1].body))
        assert response.status_code == 302, response.content
        return client

    return do
