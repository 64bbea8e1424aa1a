"""Settings from the environment: demo by default, refusal of half-configured production."""

from __future__ import annotations

import pytest

from config.settings import DEMO_TOKEN, Settings, SettingsError


def test_demo_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.demo and settings.wechat_token == DEMO_TOKEN
    assert settings.database_url.startswith("sqlite:///")


def test_production_requires_secrets() -> None:
    with pytest.raises(SettingsError, match="WECHAT_APP_SECRET, GRIDBOT_SECRET_KEY"):
        Settings.from_env({"WECHAT_TOKEN": "t", "WECHAT_APP_ID": "wx1"})
    settings = Settings.from_env(
        {
            "WECHAT_TOKEN": "t",
            "WECHAT_APP_ID": "wx1",
            "WECHAT_APP_SECRET": "s",
            "GRIDBOT_SECRET_KEY": "k",
            "WECHAT_API_BASE": "http://127.0.0.1:1/cgi-bin",
            "PORT": "9000",
            "DATABASE_URL": "postgresql://x@y/z",
        }
    )
    assert not settings.demo and settings.wechat_aes_key is None
    assert settings.wechat_api_base == "http://127.0.0.1:1/cgi-bin/"
    assert settings.public_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WECHAT_AES_KEY": "short"}, "43"),
        ({"PORT": "eighty"}, "PORT"),
        ({"WECHAT_ENCRYPTED_ONLY": "ja"}, "WECHAT_ENCRYPTED_ONLY"),
        ({"GRIDBOT_PROXY_HOPS": "yes"}, "GRIDBOT_PROXY_HOPS"),
        ({"GRIDBOT_PROXY_HOPS": "-1"}, "GRIDBOT_PROXY_HOPS"),
        (
            {
                "WECHAT_TOKEN": "t",
                "WECHAT_APP_ID": "wx1",
                "WECHAT_APP_SECRET": "s",
                "GRIDBOT_SECRET_KEY": "k",
                "WECHAT_ENCRYPTED_ONLY": "1",
            },
            "WECHAT_AES_KEY",
        ),  # fmt: skip
    ],
)
def test_malformed_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_encrypted_only_is_off_unless_asked() -> None:
    assert not Settings.from_env({}).wechat_encrypted_only
    assert Settings.from_env({"WECHAT_ENCRYPTED_ONLY": "true"}).wechat_encrypted_only
    assert not Settings.from_env({"WECHAT_ENCRYPTED_ONLY": "0"}).wechat_encrypted_only


def test_proxy_hops_default_to_none_trusted() -> None:
    assert Settings.from_env({}).proxy_hops == 0
    assert Settings.from_env({"GRIDBOT_PROXY_HOPS": "1"}).proxy_hops == 1
