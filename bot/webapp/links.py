"""How the chat opens the page: the web_app button, and a signed link for `make chat`."""

from __future__ import annotations

from urllib.parse import quote

from telegram import InlineKeyboardButton, WebAppInfo

from bot.config import Settings
from bot.texts import Catalog
from bot.webapp.initdata import sign_init_data

__all__ = ["BUTTON_TEXT_KEY", "chat_page_url", "webapp_button"]

BUTTON_TEXT_KEY = "webapp.button"


def webapp_button(settings: Settings, catalog: Catalog, lang: str) -> InlineKeyboardButton | None:
    """The inline button that opens the Mini App; None when WEBAPP_URL is not set."""
    if not settings.webapp_url:
        return None
    return InlineKeyboardButton(
        catalog.text(lang, BUTTON_TEXT_KEY), web_app=WebAppInfo(url=settings.webapp_url + "/")
    )


def chat_page_url(
    page_url: str,
    bot_token: str,
    user_id: int,
    *,
    first_name: str = "",
    language_code: str | None = None,
) -> str:
    """The page URL with initData signed for the user, in the fragment as Telegram passes it."""
    init_data = sign_init_data(
        bot_token, user_id, first_name=first_name, language_code=language_code
    )
    return (
        f"{page_url.rstrip('/')}/#tgWebAppData={quote(init_data, safe='')}"
        "&tgWebAppVersion=7.0&tgWebAppPlatform=unknown"
    )
