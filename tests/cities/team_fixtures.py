"""People and offices of the tests of an office's team."""

import re

from django.core import mail

from cities.models import OfficeMembership
from tests.factories import MembershipFactory, UserFactory

Role = OfficeMembership.Role
BASE_URL = "https://twinning.example.org"
LINK = re.compile(r"https://twinning\.example\.org/team/join/([A-Za-z0-9_-]+)/")


def member(office, *roles, **fields):
    """A user holding ``roles`` in ``office``."""
    user = UserFactory(**fields)
    for role in roles:
        MembershipFactory(user=user, office=office, role=role)
    return user


def token_in(message) -> str:
    """The token of the link an invitation e-mail carries, in its text and its HTML alike."""
    tokens = set(LINK.findall(message.body))
    (html, _), *_ = message.alternatives
    assert tokens == set(LINK.findall(html)), "the text and HTML parts link to different pages"
    (token,) = tokens
    return token


def last_token() -> str:
    return token_in(mail.outbox[-1])
