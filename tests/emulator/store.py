"""In-memory state of the emulated server: users, rooms, subscriptions, messages, uploads.

Every mutation bumps a change event so tests can await a condition instead of sleeping.
Message documents follow `packages/core-typings/src/IMessage/IMessage.ts`; thread bookkeeping
(`tcount`, `tlm`, `replies` on the parent) follows what
`apps/meteor/app/threads/server/functions.ts` does after a reply is saved.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from .model import (
    Ids,
    JsonDict,
    Membership,
    Room,
    RoomKind,
    Token,
    Upload,
    User,
    When,
)

# MentionsParser (apps/meteor/app/mentions/lib/MentionsParser.ts) with the default
# UTF8_User_Names_Validation / UTF8_Channel_Names_Validation of `[0-9a-zA-Z-_.]+`.
_USER_MENTION = re.compile(r"(?:^|[\s>*_~])@([0-9a-zA-Z\-_.]+)")
_CHANNEL_MENTION = re.compile(r"(?:^|[\s>*_~])#([0-9a-zA-Z\-_.]+)")


# The REST API's paging settings and their defaults (apps/meteor/server/settings/general.ts,
# section "REST API"); an admin may change them (`RocketChatEmulator.set_setting`).
DEFAULT_SETTINGS: dict[str, Any] = {
    "API_Upper_Count_Limit": 100,
    "API_Default_Count": 50,
    "API_Allow_Infinite_Count": True,
    # The server's default language (section "General"): "" until an admin picks one.
    "Language": "",
}
# The emulated settings marked `public: true` there (`settings.public` answers only these).
PUBLIC_SETTINGS = frozenset({"Language"})


class NotFound(LookupError):
    """A test helper was given a user, room or message that does not exist."""


class Store:
    def __init__(self, ids: Ids, clock: Callable[[], float] | None = None) -> None:
        self.ids = ids
        self._clock = clock or time.time
        self._last_ms = 0
        self.users: dict[str, User] = {}
        self.rooms: dict[str, Room] = {}
        self.messages: dict[str, JsonDict] = {}
        self.room_messages: dict[str, list[str]] = {}
        self.uploads: dict[str, Upload] = {}
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self._changed = asyncio.Event()
        # Called with each new message as it is stored (benchmarks time replies with it).
        self.on_insert: list[Callable[[JsonDict], None]] = []

    # -- time and change notification -------------------------------------------------

    def now(self) -> When:
        return When(int(self._clock() * 1000))

    def next_ts(self) -> When:
        """A message timestamp: the clock, nudged so no two messages share a millisecond.

        Simplified: a real server can store two messages with the same `ts`.
        """
        ms = max(self.now().ms, self._last_ms + 1)
        self._last_ms = ms
        return When(ms)

    def touch(self) -> None:
        """Wake everyone waiting for a change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self) -> None:
        await self._changed.wait()

    # -- users ----------------------------------------------------------------------------

    def add_user(self, username: str, password: str, name: str, roles: Iterable[str]) -> User:
        if self.find_user(username) is not None:
            raise ValueError(f"user {username!r} exists")
        user = User(self.ids.id(), username, name, password, list(roles), self.now())
        self.users[user.id] = user
        self.touch()
        return user

    def find_user(self, key: str) -> User | None:
        """A user by id or username."""
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u.username == key), None)

    def user(self, key: str | User) -> User:
        found = key if isinstance(key, User) else self.find_user(key)
        if found is None:
            raise NotFound(f"no user {key!r}")
        return found

    def issue_token(self, user: User) -> Token:
        token = Token(self.ids.secret(), self.now())
        user.tokens.append(token)
        return token

    def user_by_token(self, user_id: str, token: str) -> User | None:
        user = self.users.get(user_id)
        if user is None or not any(t.token == token for t in user.tokens):
            return None
        return user

    def owner_of_token(self, token: str) -> tuple[User, Token] | None:
        for user in self.users.values():
            for stored in user.tokens:
                if stored.token == token:
                    return user, stored
        return None

    # -- rooms and subscriptions ------------------------------------------------------------

    def add_room(
        self, name: str | None, kind: RoomKind, members: Iterable[User], room_id: str | None = None
    ) -> Room:
        member_list = list({user.id: user for user in members}.values())
        now = self.now()
        creator = member_list[0].id if member_list else None
        room = Room(room_id or self.ids.id(), kind, name, now, creator, updated=now)
        self.rooms[room.id] = room
        self.room_messages[room.id] = []
        for user in member_list:
            self.join(room, user)
        if creator is not None and kind != "d":
            room.members[creator].roles.append("owner")
        self.touch()
        return room

    def join(self, room: Room, user: User) -> bool:
        """Add a subscription; False when the user already had one."""
        if user.id in room.members:
            return False
        now = self.now()
        room.members[user.id] = Membership(self.ids.id(), now, now)
        room.updated = now
        self.touch()
        return True

    def leave(self, room: Room, user: User) -> bool:
        """Remove a subscription; False when the user had none."""
        if room.members.pop(user.id, None) is None:
            return False
        room.updated = self.now()
        self.touch()
        return True

    def direct_room(self, first: User, second: User) -> Room:
        """The 1:1 DM (`createDirectRoom`: the id is the two user ids sorted and joined)."""
        uids = sorted({first.id, second.id})
        room_id = "".join(uids) if len(uids) == 2 else None
        existing = self._find_direct(uids)
        if existing is not None:
            return existing
        members = [first] if first.id == second.id else [first, second]
        return self.add_room(None, "d", members, room_id=room_id)

    def _find_direct(self, uids: list[str]) -> Room | None:
        for room in self.rooms.values():
            if room.kind == "d" and sorted(room.members) == uids:
                return room
        return None

    def find_room(self, key: str) -> Room | None:
        """A room by id or by name."""
        if key in self.rooms:
            return self.rooms[key]
        return next((r for r in self.rooms.values() if r.name == key), None)

    def room(self, key: str | Room) -> Room:
        found = key if isinstance(key, Room) else self.find_room(key)
        if found is None:
            raise NotFound(f"no room {key!r}")
        return found

    @staticmethod
    def can_access(user: User | None, room: Room) -> bool:
        """`canAccessRoom`: public rooms for anyone holding `view-c-room` (every default role),
        private groups and DMs for their members."""
        if user is None:
            return False
        return room.kind == "c" or user.id in room.members

    def room_doc(self, room: Room) -> JsonDict:
        """A room as `Rooms` stores it (`packages/core-typings/src/IRoom.ts`)."""
        doc: JsonDict = {"_id": room.id, "t": room.kind}
        if room.kind == "d":
            members = [self.users[uid] for uid in room.members]
            members.sort(key=lambda u: u.name or u.username)
            doc["usernames"] = [u.username for u in members]
            doc["uids"] = sorted(room.members)
        else:
            doc["name"] = room.name
            doc["fname"] = room.name
            creator = self.users.get(room.creator or "")
            if creator is not None:
                doc["u"] = {"_id": creator.id, "username": creator.username}
            doc["ro"] = room.read_only
            doc["default"] = False
            doc["sysMes"] = True
        doc.update(
            {
                "usersCount": len(room.members),
                "msgs": room.message_count,
                "ts": room.created,
                "_updatedAt": room.updated,
            }
        )
        if room.last_message_at is not None:
            doc["lm"] = room.last_message_at
        return doc

    def subscription_doc(self, room: Room, user: User) -> JsonDict:
        """A subscription as `Subscriptions` stores it (`ISubscription`)."""
        member = room.members[user.id]
        if room.kind == "d":
            others = [self.users[uid] for uid in room.members if uid != user.id] or [user]
            name, fname = others[0].username, others[0].name
        else:
            name = fname = room.name or ""
        doc: JsonDict = {
            "_id": member.id,
            "rid": room.id,
            "u": user.brief(),
            "name": name,
            "fname": fname,
            "t": room.kind,
            "ts": member.joined,
            "ls": member.joined,
            "open": True,
            "alert": False,
            "unread": 0,
            "userMentions": 0,
            "groupMentions": 0,
            "_updatedAt": member.updated,
        }
        if member.roles:
            doc["roles"] = list(member.roles)
        return doc

    # -- messages ---------------------------------------------------------------------------

    def build_message(
        self, user: User, room: Room, text: str, extra: JsonDict | None = None
    ) -> JsonDict:
        """A new message document, not stored yet."""
        doc: JsonDict = {
            "_id": self.ids.id(),
            "rid": room.id,
            "msg": text,
            "ts": self.next_ts(),
            "u": user.brief(),
        }
        doc.update(extra or {})
        doc["mentions"] = self._mentions(text)
        doc["channels"] = self._channels(text)
        doc["md"] = _plain_markdown(text)
        doc["_updatedAt"] = doc["ts"]
        return doc

    def system_message(
        self, kind: str, room: Room, user: User, text: str | None = None
    ) -> JsonDict:
        """`Message.saveSystemMessage`: `t` set, `msg` usually a username, not groupable."""
        ts = self.next_ts()
        return {
            "_id": self.ids.id(),
            "t": kind,
            "rid": room.id,
            "ts": ts,
            "msg": text if text is not None else user.username,
            "u": user.brief(),
            "groupable": False,
            "_updatedAt": ts,
        }

    def newest_ts(self) -> When:
        return When(self._last_ms)

    def insert(self, doc: JsonDict) -> list[JsonDict]:
        """Store a message; returns every document to publish, in order (a thread reply
        also changes its parent)."""
        room = self.rooms[doc["rid"]]
        for listener in self.on_insert:
            listener(doc)
        self.messages[doc["_id"]] = doc
        self.room_messages[room.id].append(doc["_id"])
        # notifyUsersOnMessage (apps/meteor/app/lib/server/lib/notifyUsersOnMessage.ts): a
        # message that stays in its thread (`tmid` without `tshow`) only counts (`msgs`);
        # any other message also sets the room's `lm`. Either way the room is updated, and
        # every update of a model sets its `_updatedAt` (packages/models/src/models/BaseRaw.ts,
        # `setUpdatedAt`).
        room.message_count += 1
        if not doc.get("tmid") or doc.get("tshow") is True:
            room.last_message_at = doc["ts"]
        room.updated = doc["ts"]
        changed = [doc]
        parent = self.messages.get(doc.get("tmid") or "")
        if parent is not None:
            changed.append(self._bump_thread(parent, doc))
        self.touch()
        return changed

    def _bump_thread(self, parent: JsonDict, reply: JsonDict) -> JsonDict:
        parent["tcount"] = parent.get("tcount", 0) + 1
        parent["tlm"] = reply["ts"]
        replies: list[str] = parent.setdefault("replies", [])
        if reply["u"]["_id"] not in replies:
            replies.append(reply["u"]["_id"])
        parent["_updatedAt"] = self.now()
        return parent

    def thread_root(self, tmid: str) -> str:
        """`executeSendMessage` does not nest threads: a reply to a reply joins the root."""
        parent = self.messages.get(tmid)
        return str(parent.get("tmid") or tmid) if parent else tmid

    def message(self, message_id: str) -> JsonDict:
        found = self.messages.get(message_id)
        if found is None:
            raise NotFound(f"no message {message_id!r}")
        return found

    def edit(self, doc: JsonDict, text: str, editor: User) -> JsonDict:
        """`updateMessage`: new text, `editedAt`, `editedBy`, `_updatedAt`."""
        now = self.now()
        doc["msg"] = text
        doc["mentions"] = self._mentions(text)
        doc["channels"] = self._channels(text)
        doc["md"] = _plain_markdown(text)
        doc["editedAt"] = now
        doc["editedBy"] = {"_id": editor.id, "username": editor.username}
        doc["_updatedAt"] = now
        self.touch()
        return doc

    def react(self, doc: JsonDict, user: User, emoji: str) -> JsonDict:
        """`setReaction` without `shouldReact`: toggles the user's reaction."""
        key = emoji if emoji.startswith(":") else f":{emoji}:"
        reactions: dict[str, Any] = doc.setdefault("reactions", {})
        entry = reactions.setdefault(key, {"usernames": []})
        if user.username in entry["usernames"]:
            entry["usernames"].remove(user.username)
            if not entry["usernames"]:
                del reactions[key]
        else:
            entry["usernames"].append(user.username)
        doc["_updatedAt"] = self.now()
        self.touch()
        return doc

    def in_room(self, room: Room) -> list[JsonDict]:
        return [self.messages[mid] for mid in self.room_messages[room.id]]

    def _mentions(self, text: str) -> list[JsonDict]:
        found: list[JsonDict] = []
        for name in dict.fromkeys(_USER_MENTION.findall(text)):
            if name in ("all", "here"):
                found.append({"_id": name, "username": name})
                continue
            user = self.find_user(name)
            if user is not None and user.username == name:
                found.append({"_id": user.id, "username": name, "name": user.name, "type": "user"})
        return found

    def _channels(self, text: str) -> list[JsonDict]:
        found: list[JsonDict] = []
        for name in dict.fromkeys(_CHANNEL_MENTION.findall(text)):
            room = next((r for r in self.rooms.values() if r.name == name), None)
            if room is not None and room.kind in ("c", "p"):
                found.append({"_id": room.id, "name": name})
        return found


def _plain_markdown(text: str) -> list[JsonDict]:
    """A simplified `md` (@rocket.chat/message-parser): one paragraph of plain text per line,
    no inline markup, mentions or emoji nodes."""
    return [
        {"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": line}]}
        for line in text.split("\n")
    ]
