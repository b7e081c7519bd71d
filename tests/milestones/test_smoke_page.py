from __future__ import annotations

from django.urls import reverse


def test_it_shows_the_quarter_page_to_its_owner(alice_client, milestone):
    response = alice_client.get(reverse("milestones:quarter", args=[2026, 4]))
    assert response.status_code == 200
    assert "Label 2,000 tickets" in response.text
