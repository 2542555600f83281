"""The Mini App (Telegram web_app): register a certificate without the private key leaving the phone.

The page (static/, plain ES modules) decrypts signPri.key or a PBES2 .pfx on the device and
signs a one-time challenge; the server here checks Telegram's initData, the challenge and the
signature, then hands the certificate to an injected `RegistrationBackend` (the policy).
"""

from bot.webapp.backend import Outcome, RegistrationBackend
from bot.webapp.initdata import InitDataError, WebAppUser, sign_init_data, validate_init_data
from bot.webapp.links import chat_page_url, webapp_button
from bot.webapp.server import WebAppServer, create_app

__all__ = [
    "InitDataError",
    "Outcome",
    "RegistrationBackend",
    "WebAppServer",
    "WebAppUser",
    "chat_page_url",
    "create_app",
    "sign_init_data",
    "validate_init_data",
    "webapp_button",
]
