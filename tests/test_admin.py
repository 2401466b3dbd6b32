import re

from django.urls import reverse

from sixways.rounds.models import Invitation


def test_the_admin_creates_links_and_shows_each_token_once(
    admin_client, open_round, organisations, client
):
    response = admin_client.post(
        reverse("admin:rounds_round_changelist"),
        {"action": "create_links", "_selected_action": [open_round.pk]},
        follow=True,
    )
    links = re.findall(r"http://[^\s<]+/p/([\w-]+)/", response.content.decode())
    assert len(links) == len(organisations) == Invitation.objects.count()
    assert client.get(reverse("rounds:start", args=[links[0]])).status_code == 200
    # Only the hash is stored.
    assert not Invitation.objects.filter(token_hash=links[0]).exists()
