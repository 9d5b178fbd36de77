"""The client's address behind the deployment's proxies."""

import pytest

from core.client_ip import client_ip, client_network


def meta(remote="10.0.0.2", forwarded=None):
    values = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        values["HTTP_X_FORWARDED_FOR"] = forwarded
    return values


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(meta("203.0.113.7", forwarded="198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "client"),
    [
        # The client spoofs a first entry; the one proxy appends the address it saw.
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (1, "203.0.113.7", "203.0.113.7"),
        # Two proxies: the second appended the first's address; the client is one further.
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        # Fewer entries than proxies: the furthest hop on record.
        (3, "203.0.113.7, 10.0.0.1", "203.0.113.7"),
        (1, "2001:DB8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_first_hop_they_did_not_write(
    settings, proxies, forwarded, client
):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(meta(forwarded=forwarded)) == client


@pytest.mark.parametrize("forwarded", [None, "", " , ", "not-an-address", "203.0.113.7:5000"])
def test_a_missing_or_malformed_forwarded_address_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(meta("10.0.0.2", forwarded=forwarded)) == "10.0.0.2"


def test_no_address_at_all_is_none(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip({}) is None
    assert client_ip({"REMOTE_ADDR": "unix-socket"}) is None


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_clients_are_counted_by_address_or_by_their_ipv6_64(address, network):
    assert client_network(address) == network
