"""Settings read from environment variables, once, when an app or a worker is built.

Nothing here runs at import time: `Settings.from_env()` is called by the composition roots
(`bot.app.create_app`, `workers.runner`), and tests build `Settings` directly.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
VAR_DIR = PROJECT_ROOT / "var"

WECHAT_API_DEFAULT = "https://api.weixin.qq.com/cgi-bin/"

# Demo values: used only when WECHAT_TOKEN is not set, and announced loudly when they are.
DEMO_TOKEN = "gridbot-demo-token"
DEMO_APP_ID = "wxd0000000000demo"
DEMO_APP_SECRET = "demo-secret"
DEMO_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DEMO_SECRET_KEY = "gridbot-demo-secret-key-not-for-production"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    """Everything the processes need to know about their environment."""

    wechat_token: str = DEMO_TOKEN
    wechat_app_id: str = DEMO_APP_ID
    wechat_app_secret: str = DEMO_APP_SECRET
    wechat_aes_key: str | None = DEMO_AES_KEY
    # Refuse plaintext messages (safe mode only): the URL's signature does not cover the body,
    # msg_signature does.
    wechat_encrypted_only: bool = False
    wechat_api_base: str = WECHAT_API_DEFAULT
    wechat_template_id: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = f"sqlite:///{VAR_DIR / 'gridbot.sqlite3'}"
    org_path: Path = CONFIG_DIR / "org.yaml"
    escalation_path: Path = CONFIG_DIR / "escalation.yaml"
    wording_path: Path = CONFIG_DIR / "wording.yaml"
    media_dir: Path = VAR_DIR / "media"
    public_url: str = "http://127.0.0.1:8000"
    port: int = 8000
    secret_key: str = DEMO_SECRET_KEY
    demo: bool = True
    # Seconds a signed request's timestamp may differ from our clock (replay window).
    signature_window: int = 300
    # Seconds a retry waits for the first try's reply before answering itself.
    retry_wait: float = 4.0
    queue_prefix: str = "gridbot"
    # Reverse proxies in front of the web processes whose X-Forwarded-For / -Proto are trusted
    # (0: the client's address is the connection's; the login lockout counts by it).
    proxy_hops: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: os.environ); refuse half-configured production."""
        env = os.environ if env is None else env
        demo = not env.get("WECHAT_TOKEN")
        if not demo:
            missing = [
                name
                for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "GRIDBOT_SECRET_KEY")
                if not env.get(name)
            ]
            if missing:
                raise SettingsError(
                    f"WECHAT_TOKEN is set, so this is a real deployment, but {', '.join(missing)} "
                    "is not set: set it, or unset WECHAT_TOKEN to run on demo values."
                )
        aes_key = env.get("WECHAT_AES_KEY") or (DEMO_AES_KEY if demo else None)
        if aes_key is not None and len(aes_key) != 43:
            raise SettingsError(
                f"WECHAT_AES_KEY has {len(aes_key)} characters; WeChat's EncodingAESKey has 43."
            )
        encrypted_only = _flag(env, "WECHAT_ENCRYPTED_ONLY")
        if encrypted_only and aes_key is None:
            raise SettingsError(
                "WECHAT_ENCRYPTED_ONLY is set but WECHAT_AES_KEY is not: encrypted messages "
                "need the EncodingAESKey."
            )
        port_text = env.get("PORT", "8000")
        if not port_text.isdigit():
            raise SettingsError(f"PORT must be a number, not {port_text!r}.")
        port = int(port_text)
        hops_text = env.get("GRIDBOT_PROXY_HOPS", "0").strip()
        if not hops_text.isdigit() or int(hops_text) > 5:
            raise SettingsError(
                f"GRIDBOT_PROXY_HOPS must be the number of reverse proxies in front of gridbot "
                f"(0 to 5), not {hops_text!r}."
            )
        api_base = env.get("WECHAT_API_BASE", WECHAT_API_DEFAULT)
        if not api_base.endswith("/"):
            api_base += "/"
        return cls(
            wechat_token=env.get("WECHAT_TOKEN", DEMO_TOKEN),
            wechat_app_id=env.get("WECHAT_APP_ID", DEMO_APP_ID),
            wechat_app_secret=env.get("WECHAT_APP_SECRET", DEMO_APP_SECRET),
            wechat_aes_key=aes_key,
            wechat_encrypted_only=encrypted_only,
            wechat_api_base=api_base,
            wechat_template_id=env.get("GRIDBOT_TEMPLATE_ID") or None,
            redis_url=env.get("REDIS_URL", cls.redis_url),
            database_url=env.get("DATABASE_URL", cls.database_url),
            org_path=Path(env.get("GRIDBOT_ORG", str(cls.org_path))),
            escalation_path=Path(env.get("GRIDBOT_ESCALATION", str(cls.escalation_path))),
            wording_path=Path(env.get("GRIDBOT_WORDING", str(cls.wording_path))),
            media_dir=Path(env.get("GRIDBOT_MEDIA_DIR", str(cls.media_dir))),
            public_url=env.get("GRIDBOT_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            port=port,
            secret_key=env.get("GRIDBOT_SECRET_KEY", DEMO_SECRET_KEY),
            demo=demo,
            proxy_hops=int(hops_text),
        )

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the `serve` command use it)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _flag(env: Mapping[str, str], name: str) -> bool:
    """An on/off variable: 1, true, yes or on; 0, false, no, off or empty; anything else is an
    error (a typo must not quietly leave a safeguard off)."""
    text = env.get(name, "").strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true/false, yes/no), not {text!r}.")
