"""The client address behind (trusted) reverse proxies: fundvote.proxies."""

from __future__ import annotations

import pytest

from fundvote.config import BadSetting, load_settings
from fundvote.proxies import BadProxySetting, client_address, parse_trusted_proxies

NGINX = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8, ::1")


def test_nobody_is_trusted_by_default() -> None:
    assert parse_trusted_proxies("") == ()
    assert parse_trusted_proxies(" , ") == ()
    # Without trusted proxies the header is ignored, whoever sends it.
    assert client_address("127.0.0.1", "203.0.113.9", ()) == "127.0.0.1"


def test_an_untrusted_peer_cannot_spoof_its_address() -> None:
    assert client_address("198.51.100.7", "203.0.113.9", NGINX) == "198.51.100.7"
    assert client_address("198.51.100.7", "10.0.0.5", NGINX) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_address() -> None:
    assert client_address("127.0.0.1", "203.0.113.9", NGINX) == "203.0.113.9"
    # A client may prepend anything; only what the trusted proxies appended counts.
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.9", NGINX) == "203.0.113.9"
    # Two trusted hops (a load balancer in front of nginx).
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.2.3", NGINX) == "203.0.113.9"
    assert client_address("::1", "2001:db8::5", NGINX) == "2001:db8::5"
    assert client_address("::ffff:127.0.0.1", "203.0.113.9", NGINX) == "203.0.113.9"


def test_odd_headers_fall_back_to_the_nearest_trusted_hop() -> None:
    assert client_address("127.0.0.1", None, NGINX) == "127.0.0.1"
    assert client_address("127.0.0.1", "", NGINX) == "127.0.0.1"
    assert client_address("127.0.0.1", "garbage", NGINX) == "127.0.0.1"
    assert client_address("127.0.0.1", "203.0.113.9, garbage, 10.0.0.2", NGINX) == "10.0.0.2"
    assert client_address("127.0.0.1", "10.0.0.3, 10.0.0.2", NGINX) == "10.0.0.3"
    assert client_address(None, "203.0.113.9", NGINX) == "unknown"


def test_the_setting_is_parsed_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"FUNDVOTE_INSTANCE_PATH": str(tmp_path), "FUNDVOTE_SECRET_KEY": "k"}
    assert load_settings(env).trusted_proxies == ()
    settings = load_settings(dict(env, FUNDVOTE_TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8"))
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(BadSetting, match="'nginx'"):
        load_settings(dict(env, FUNDVOTE_TRUSTED_PROXIES="127.0.0.1,nginx"))
    with pytest.raises(BadProxySetting, match="'nginx'"):
        parse_trusted_proxies("127.0.0.1,nginx")
    assert load_settings(env).token_days == 90
    assert load_settings(dict(env, FUNDVOTE_TOKEN_DAYS="30")).token_days == 30
    assert load_settings(dict(env, FUNDVOTE_SESSION_IDLE_MINUTES="30")).session_idle_minutes == 30
    assert load_settings(dict(env, FUNDVOTE_SESSION_MAX_HOURS="8")).session_max_hours == 8
