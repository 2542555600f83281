"""Settings: one object read from the environment and `.env`, passed down explicitly.

Every setting is documented in `.env.example`. Nothing else in the bot reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"


class SettingsError(Exception):
    """A setting has an invalid value; the message is one line naming it."""


class Settings(BaseSettings):
    """All configuration of the bot (environment variables, or `.env`)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: str = ""
    telegram_api_url: str = DEFAULT_API_URL
    http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    database_path: Path = Path("data/kcert-bot.sqlite3")
    default_language: Literal["ko", "en"] = "ko"
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    webhook_url: str = ""
    # Polling on aiohttp: the pause after a getUpdates answer that did not fill a batch. Under
    # load more updates then come per call (less CPU per update, bench/e2e.py); a quiet chat's
    # reply comes at most this much later; a backlog (full batches) is fetched without pauses.
    poll_pause_seconds: float = Field(default=0.005, ge=0, le=1)
    # Chats handled at once (one update each); on aiohttp as many Bot API connections (+8). An
    # update spends most of its time waiting (the FAQ worker, the sendMessage round trip), so
    # the cap is set above the chats active at once: at 16 it, not the CPU, bounded throughput.
    max_concurrent_updates: int = Field(default=64, ge=1, le=1024)
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    # Mini App (web_app page): unset WEBAPP_URL = nothing served, no button shown.
    webapp_url: str = ""
    webapp_listen: str = "127.0.0.1"
    webapp_port: int = Field(default=8088, ge=1, le=65535)

    # Registration rules (the guide: one active certificate; release it to register another).
    max_active_certificates: int = Field(default=1, ge=1, le=20)
    password_max_attempts: int = Field(default=5, ge=1, le=100)
    password_lock_minutes: int = Field(default=30, ge=1, le=24 * 60)
    require_identity_check: bool = False
    allow_unknown_issuers: bool = False
    # Chain verification: PEM bundle of trusted root + intermediate CA certificates (None: no
    # store, every issuer is unknown), and whether an issuer absent from it may still register.
    trusted_ca_file: Path | None = None
    allow_unverified_issuers: bool = False
    # Hard time bound of one key operation (unlock, PFX open) in a worker process.
    key_operation_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    conversation_timeout_seconds: int = Field(default=600, ge=1, le=24 * 3600)
    max_upload_bytes: int = Field(default=64 * 1024, ge=1024, le=20 * 1024 * 1024)
    key_vault_ttl_seconds: int = Field(default=600, ge=10, le=24 * 3600)
    expiry_check_hour_utc: int = Field(default=0, ge=0, le=23)

    # FAQ matcher thresholds (None = the matcher's tuned defaults).
    faq_path: Path | None = None
    faq_training_dir: Path | None = None
    faq_cache_dir: Path | None = None
    faq_answer_threshold: float | None = Field(default=None, ge=0, le=100)
    faq_suggest_threshold: float | None = Field(default=None, ge=0, le=100)
    # Match questions in a worker process, off the event loop (+~45 MiB); false: in-process.
    faq_worker: bool = True
    customer_center: str = "1522-1000"

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _parse_admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "must be a comma-separated list of numeric Telegram user ids"
                ) from None
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator(
        "faq_path",
        "faq_training_dir",
        "faq_cache_dir",
        "faq_answer_threshold",
        "faq_suggest_threshold",
        "trusted_ca_file",
        mode="before",
    )
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _check_webapp_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        local = value.startswith(("http://127.0.0.1", "http://localhost"))
        if value and not (value.startswith("https://") or local):
            raise ValueError("must start with https:// (http:// only for 127.0.0.1/localhost)")
        return value

    @property
    def unverified_issuers_allowed(self) -> bool:
        """ALLOW_UNVERIFIED_ISSUERS (ALLOW_UNKNOWN_ISSUERS is its older name)."""
        return self.allow_unverified_issuers or self.allow_unknown_issuers

    @property
    def api_base_url(self) -> str:
        """Where Bot API methods are called: `{TELEGRAM_API_URL}/bot<token>/method`."""
        return f"{self.telegram_api_url}/bot"

    @property
    def api_file_url(self) -> str:
        """Where files are downloaded: `{TELEGRAM_API_URL}/file/bot<token>/path`."""
        return f"{self.telegram_api_url}/file/bot"


def load_settings(**overrides: object) -> Settings:
    """Read settings; an invalid value becomes a one-line `SettingsError` naming the setting."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"Invalid setting {name}: {message}") from None
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    return settings
