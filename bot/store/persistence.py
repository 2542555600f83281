"""PTB persistence on our SQLite store, as JSON (no pickle).

Only conversation states and small JSON-able flow data pass through here; secrets live in the
in-memory key vault and local variables, never in user_data (enforced by tests).
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.store.repository import Store

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]


class SqlitePersistence(BasePersistence[JSONDict, JSONDict, JSONDict]):
    """Conversation states, user_data, chat_data and bot_data in the store, flushed on shutdown.

    PTB hands changes over only in `Application.update_persistence`, every `update_interval`
    seconds by itself; `bot.app.WriteThroughApplication` calls it after every update, so a
    state or flow marker is committed before the chat's next update runs and a crash (SIGKILL)
    resumes at the right step. Each call here commits at once.
    """

    def __init__(self, store: Store, *, update_interval: float = 30) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.store = store
        self._user_data: dict[int, JSONDict] | None = None
        self._chat_data: dict[int, JSONDict] | None = None
        self._bot_data: JSONDict | None = None
        self._conversations: dict[str, ConversationDict] = {}

    @staticmethod
    def _jsonable(data: JSONDict) -> JSONDict:
        # Round-trip through JSON: anything not JSON-able is a programming error, caught here.
        loaded: JSONDict = json.loads(json.dumps(data))
        return loaded

    async def get_user_data(self) -> dict[int, JSONDict]:
        if self._user_data is None:
            self._user_data = await self.store.load_data("user")
        return copy.deepcopy(self._user_data)

    async def get_chat_data(self) -> dict[int, JSONDict]:
        if self._chat_data is None:
            self._chat_data = await self.store.load_data("chat")
        return copy.deepcopy(self._chat_data)

    async def get_bot_data(self) -> JSONDict:
        if self._bot_data is None:
            self._bot_data = (await self.store.load_data("bot")).get(0, {})
        return copy.deepcopy(self._bot_data)

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        if name not in self._conversations:
            self._conversations[name] = await self.store.load_conversations(name)
        return dict(self._conversations[name])

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        conversations = self._conversations.setdefault(name, {})
        if conversations.get(key) == new_state:
            return
        if new_state is None:
            conversations.pop(key, None)
        else:
            conversations[key] = new_state
        await self.store.save_conversation(name, tuple(key), new_state)

    async def update_user_data(self, user_id: int, data: JSONDict) -> None:
        if self._user_data is None:
            self._user_data = {}
        await self._write_if_changed("user", self._user_data, user_id, data)

    async def update_chat_data(self, chat_id: int, data: JSONDict) -> None:
        if self._chat_data is None:
            self._chat_data = {}
        await self._write_if_changed("chat", self._chat_data, chat_id, data)

    async def update_bot_data(self, data: JSONDict) -> None:
        if self._bot_data == data:
            return
        snapshot = self._jsonable(data)
        if self._bot_data != snapshot:
            self._bot_data = snapshot
            await self.store.save_data("bot", 0, snapshot or None)

    async def _write_if_changed(
        self, kind: str, stored: dict[int, JSONDict], key: int, data: JSONDict
    ) -> None:
        """Store `data` under `key` unless it equals what is stored; PTB calls this after every
        update (WriteThroughApplication), so each write commits at once. Unchanged data (the
        usual case) is recognised before the JSON round trip."""
        if stored.get(key) == data:
            return
        snapshot = self._jsonable(data)
        if stored.get(key) != snapshot:
            stored[key] = snapshot
            await self.store.save_data(kind, key, snapshot or None)

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        if self._chat_data is not None:
            self._chat_data.pop(chat_id, None)
        await self.store.save_data("chat", chat_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        if self._user_data is not None:
            self._user_data.pop(user_id, None)
        await self.store.save_data("user", user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: JSONDict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: JSONDict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: JSONDict) -> None:
        return None

    async def flush(self) -> None:
        """Write everything held in memory once more (PTB calls this on shutdown)."""
        for user_id, data in (self._user_data or {}).items():
            await self.store.save_data("user", user_id, data or None)
        for chat_id, data in (self._chat_data or {}).items():
            await self.store.save_data("chat", chat_id, data or None)
        if self._bot_data is not None:
            await self.store.save_data("bot", 0, self._bot_data or None)
