"""The emulated REST endpoints.  Source of each behaviour, in RocketChat/Rocket.Chat:

* `login`, `me`: `apps/meteor/app/api/server/ApiClass.ts` (`_initAuth`, `loginCompatibility`),
  `v1/misc.ts`.
* `chat.postMessage`: `v1/chat.ts` + `app/lib/server/functions/processWebhookMessage.ts`
  (text trimmed, `groupable: false`, `attachments` kept, `#name`/`@user`/id targets).
* `chat.sendMessage`: `v1/chat.ts` + `app/lib/server/methods/sendMessage.ts` +
  `functions/sendMessage.ts`: a client `_id` that already exists makes `sendMessage` return
  nothing, nothing is stored or broadcast, and `normalizeMessagesForUser([undefined])` then
  throws, so the endpoint answers 400 with the TypeError's text.
* `chat.update`: `v1/chat.ts` + `methods/updateMessage.ts` (same text: no change).
* history: `v1/channels.ts`, `v1/groups.ts`, `v1/im.ts`, `methods/getChannelHistory.ts`,
  `packages/models/src/models/Messages.ts`.  `groups.history` reads `inclusive` as
  `queryParams.inclusive || false`, so any non-empty string, "false" included, is true;
  it also defaults `count` to 20 and shows thread replies.  `channels.history` and
  `im.history` compare with `=== 'true'`, take `count` from `getPaginationItems`
  (`API_Default_Count` 50, at most `API_Upper_Count_Limit` 100, 0 = no limit while
  `API_Allow_Infinite_Count`; settings in `server/settings/general.ts`), answer no total,
  and hide thread replies unless `showThreadMessages=true`.
* `subscriptions.get`: `v1/subscriptions.ts`; `rooms.get`: `v1/rooms.ts` + `rooms/get`
  (`server/publications/room/index.ts`, fields `lib/publishFields.ts`: the rooms of the
  caller's subscriptions, each with `msgs`, `_updatedAt` and `lm`, the time of its last
  message outside threads: a reply that stays in its thread moves `msgs` and `_updatedAt`
  only, see `store.py`); `users.info`: `v1/users.ts` +
  `app/lib/server/functions/getFullUserData.ts` (a projection onto `defaultFields`, with
  `view-full-other-user-info` or for oneself `fullFields` too: never `language`);
  `settings.public`: `v1/settings.ts` (no login; `_id` a comma-separated list of ids; only
  settings marked `public`, `server/settings/general.ts` for `Language`);
  `groups.create`/`groups.invite`/`groups.kick`/`groups.info`: `v1/groups.ts`,
  `app/utils/server/lib/getValidRoomName.ts`, `app/lib/server/functions/createRoom.ts` (a
  group's `u` is who created it); `groups.invite` and `groups.kick` validate their body with
  `isGroupsInviteProps`/`isGroupsKickProps` (`packages/rest-typings/src/v1/groups/BaseProps.ts`,
  `withUserIdSchema`: `userId` required, so `{roomId, username}` is a 400 `invalid-params`),
  as servers 6.3 to 8.0 do; `groups.info` with `isGroupsInfoProps` (`withBaseProps`);
  `im.create`: `v1/im.ts`, `app/lib/server/functions/createDirectRoom.ts`.
* `channels.invite`/`channels.kick`/`channels.members` and `groups.members`: `v1/channels.ts`
  (`findChannelByIdOrName`: a public channel by `roomId` or `roomName`, else
  `error-room-not-found`; `channels.kick` validated with `isChannelsKickProps`, roomId and
  userId only; `channels.invite` with no validator, users from `getUserListFromParams`,
  `addUsersToRoomMethod`), `v1/groups.ts` (`groups.members` through
  `findPrivateGroupByIdOrName`: a group the caller can read), both listing with
  `server/lib/findUsersOfRoom.ts` paged by `getPaginationItems`: `{members, count, offset,
  total}`, each member `{_id, username, name, status}`. Simplified as for groups: the caller
  must be in the room to invite or kick (the server asks for `add-user-to-joined-room` and
  `remove-user`, held by owners and moderators).
* `rooms.info`: `v1/rooms.ts` (`findRoomByIdOrName`: neither `roomId` nor `roomName` is
  `error-roomid-param-not-provided`, no such room `error-room-not-found`, an archived one
  `error-room-archived` (not emulated: no room is archived here); then
  `canAccessRoomAsync`, else `API.v1.failure('not-allowed', 'Not Allowed')`), answering
  `{room}` whatever its kind, the whole document, `u` (its creator) included. The route
  has no `validateParams` (6.x to 8.x); `isRoomsInfoProps` in
  `packages/rest-typings/src/v1/rooms.ts` (`roomId` or `roomName`, nothing else) is what the
  conformance test checks the bot's requests with.
* files: `v1/rooms.ts` (`rooms.media`, `rooms.mediaConfirm`, `rooms.upload`),
  `app/file-upload/server/methods/sendFileMessage.ts`.
"""

from __future__ import annotations

import re
from typing import Any

from .auth import authenticate
from .model import (
    JsonDict,
    Room,
    Upload,
    User,
    When,
    js_parse_int,
    mongo_date,
    parse_js_date,
    rest_doc,
)
from .rest import ApiError, Call, Route, failure, forbidden, thrown, unauthorized
from .schema import (
    CHANNELS_HISTORY,
    CHANNELS_KICK,
    CHAT_POST_MESSAGE,
    CHAT_SEND_MESSAGE,
    CHAT_UPDATE,
    DM_HISTORY,
    GROUPS_INFO,
    GROUPS_WITH_USER_ID,
)
from .store import PUBLIC_SETTINGS, Store

MAX_MESSAGE_SIZE = 5000  # Message_MaxAllowedSize default
ROOM_NAME = re.compile(r"^[0-9a-zA-Z\-_.]+$")  # UTF8_Channel_Names_Validation default
IMPERSONATE_ROLES = ("bot", "app")  # default holders of `message-impersonate`
EDIT_ANY_ROLES = ("admin",)  # holders of `edit-message` besides room owners/moderators
VIEW_FULL_USER_ROLES = ("admin",)  # `view-full-other-user-info`
POST_RO = {"owner", "moderator"}  # room roles holding `post-readonly`
DUPLICATE_ID_ERROR = "Cannot read properties of undefined (reading 'starred')"
ROOM_NOT_A_GROUP = 'The required "roomId" or "roomName" param provided does not match any group'
ROOM_NOT_A_CHANNEL = 'The required "roomId" or "roomName" param provided does not match any channel'


# -- authentication -------------------------------------------------------------------------


async def login(call: Call) -> JsonDict:
    outcome = authenticate(call.store, _login_options(call.body), call.api.login_error)
    if isinstance(outcome, dict):
        raise _login_failed(outcome)
    call.user = outcome.user
    data = {"userId": outcome.user.id, "authToken": outcome.token, "me": _me(call, outcome.user)}
    return {"status": "success", "data": data}


def _login_options(body: Any) -> Any:
    """`loginCompatibility`: `{user|username|email, password}` becomes Meteor's shape."""
    if not isinstance(body, dict) or body.get("password") is None:
        return body
    if set(body) - {"user", "username", "email", "password", "code"}:
        return body
    user = body.get("user")
    if isinstance(user, str):
        selector = {"email": user} if "@" in user else {"username": user}
    elif body.get("username"):
        selector = {"username": body["username"]}
    elif body.get("email"):
        selector = {"email": body["email"]}
    else:
        return body
    return {"user": selector, "password": body["password"]}


def _login_failed(error: JsonDict) -> ApiError:
    body: JsonDict = {"success": False, "error": error["error"], "status": "error"}
    if error.get("details"):
        body["details"] = error["details"]
    body["message"] = error.get("reason") or error["message"]
    if error.get("reason") == "User not found":
        body["error"] = body["message"] = "Unauthorized"
    return ApiError(401, body)


async def me(call: Call) -> JsonDict:
    return _me(call, call.me)


def _me(call: Call, user: User) -> JsonDict:
    origin = str(call.request.url.origin())
    return {
        **_user_info(user, full=True),
        "email": user.email,
        "settings": {"preferences": {}},
        "avatarUrl": f"{origin}/avatar/{user.username}",
    }


def _user_info(user: User, full: bool) -> JsonDict:
    info: JsonDict = {
        "_id": user.id,
        "type": "user",
        "status": "online",
        "active": user.active,
        "name": user.name,
        "utcOffset": 0,
        "username": user.username,
    }
    if full:
        info["emails"] = [{"address": user.email, "verified": True}]
        info["statusConnection"] = "online"
        info["createdAt"] = user.created
        info["roles"] = list(user.roles)
    return rest_doc(info)


async def users_info(call: Call) -> JsonDict:
    key = call.query.get("userId") or call.query.get("username")
    if not key:
        raise failure("Invalid search query.")
    user = call.store.find_user(key)
    if user is None or (call.query.get("username") and user.username != key):
        raise failure("User not found.")
    full = user.id == call.me.id or any(r in VIEW_FULL_USER_ROLES for r in call.me.roles)
    return {"user": _user_info(user, full)}


async def settings_public(call: Call) -> JsonDict:
    """Only public settings; `_id` narrows them (`fetchSettings` projects `_id`, `value`)."""
    wanted = [part.strip() for part in call.query.get("_id", "").split(",") if part.strip()]
    names = [name for name in sorted(PUBLIC_SETTINGS) if not wanted or name in wanted]
    offset, count = _pagination_items(call.store, call.query)
    chosen = names[offset:] if count == 0 else names[offset : offset + count]
    found = [{"_id": name, "value": call.store.settings[name]} for name in chosen]
    return {"settings": found, "count": len(found), "offset": offset, "total": len(names)}


# -- sending messages ------------------------------------------------------------------------


async def get_message(call: Call) -> JsonDict:
    """`chat.getMessage` (`v1/chat.ts`): `API.v1.failure()` when the id is unknown.

    Simplified: the reader's access to the room is not checked.
    """
    message_id = call.query.get("msgId")
    if not message_id:
        raise failure('The "msgId" query parameter must be provided.')
    found = call.store.messages.get(message_id)
    if found is None:
        raise ApiError(400, {"success": False})
    return {"message": rest_doc(found)}


async def post_message(call: Call) -> JsonDict:
    body: JsonDict = call.body
    text = body.get("text") or ""
    if len(text) > MAX_MESSAGE_SIZE or any(
        len(str(a.get("text") or "")) > MAX_MESSAGE_SIZE for a in body.get("attachments") or []
    ):
        raise failure("error-message-size-exceeded")
    targets = body.get("channel") or body.get("roomId") or ""
    channels = list(dict.fromkeys(targets if isinstance(targets, list) else [targets]))
    sent: list[tuple[str, JsonDict]] = []
    for channel in channels:
        room = await _webhook_room(call, str(channel))
        _check_can_send(call.me, room)
        _check_impersonation(call.me, body)
        doc = call.store.build_message(call.me, room, text.strip(), _post_extra(call, body))
        await call.api.publish(call.store.insert(doc))
        sent.append((str(channel), doc))
    channel, doc = sent[0]
    return {"ts": call.store.now().ms, "channel": channel, "message": rest_doc(doc)}


def _post_extra(call: Call, body: JsonDict) -> JsonDict:
    attachments = [dict(a) for a in body.get("attachments") or []]
    for attachment in attachments:
        if attachment.get("msg"):
            attachment["text"] = str(attachment.pop("msg")).strip()
    extra: JsonDict = {"groupable": False, "attachments": attachments}
    for key in ("alias", "emoji", "avatar", "customFields"):
        if body.get(key):
            extra[key] = body[key]
    if body.get("tmid"):
        extra["tmid"] = call.store.thread_root(str(body["tmid"]))
    return extra


async def _webhook_room(call: Call, channel: str) -> Room:
    """`processWebhookMessage`: `#name`, `@username`, or a room id/name, else a user id."""
    store, user = call.store, call.me
    if channel.startswith("@"):
        other = store.find_user(channel[1:])
        if other is None:
            raise thrown("invalid-channel")
        return store.direct_room(user, other)
    key = channel[1:] if channel.startswith("#") else channel
    room = store.find_room(key)
    if room is None and not channel.startswith("#"):
        other = store.users.get(key)
        if other is not None:
            return store.direct_room(user, other)
    if room is None or (channel.startswith("#") and room.kind == "d"):
        raise thrown("invalid-channel")
    if room.kind == "c" and user.id not in room.members:
        await _join(call, room, user)
    return room


async def _join(call: Call, room: Room, user: User) -> None:
    """`addUserToRoom` for someone joining by themselves: a `uj` system message."""
    if call.store.join(room, user):
        await call.api.publish(call.store.insert(call.store.system_message("uj", room, user)))


def _check_can_send(user: User, room: Room) -> None:
    """`validateRoomMessagePermissionsAsync` throws plain Errors (no errorType)."""
    if not Store.can_access(user, room):
        raise failure("error-not-allowed")
    member = room.members.get(user.id)
    may_post = "admin" in user.roles or (member is not None and bool(set(member.roles) & POST_RO))
    if room.read_only and not may_post:
        raise failure("You can't send messages because the room is readonly.")


def _check_impersonation(user: User, message: JsonDict) -> None:
    if (message.get("alias") or message.get("avatar")) and not any(
        r in IMPERSONATE_ROLES for r in user.roles
    ):
        raise failure("Not enough permission")


async def send_message(call: Call) -> JsonDict:
    message: JsonDict = dict(call.body["message"])
    if message.get("t"):
        raise failure("Cannot send system messages using 'chat.sendMessage'")
    if message.get("tshow") and not message.get("tmid"):
        reason = "tshow provided but missing tmid"
        raise thrown("invalid-params", reason, {"method": "sendMessage"})
    text = message.get("msg") or ""
    if len(text) > MAX_MESSAGE_SIZE:
        reason = "Message size exceeds Message_MaxAllowedSize"
        raise thrown("error-message-size-exceeded", reason, {"method": "sendMessage"})
    rid = message.get("rid")
    if message.get("tmid"):
        message["tmid"] = call.store.thread_root(str(message["tmid"]))
        parent = call.store.messages.get(message["tmid"])
        rid = parent["rid"] if parent else rid
    if not rid:
        raise failure("The 'rid' property on the message object is missing.")
    room = call.store.rooms.get(str(rid))
    if room is None:
        raise failure("error-invalid-room")
    _check_can_send(call.me, room)
    _check_impersonation(call.me, message)
    if message.get("_id") and message["_id"] in call.store.messages:
        raise failure(DUPLICATE_ID_ERROR)
    doc = call.store.build_message(call.me, room, text, _send_extra(message))
    if message.get("_id"):
        doc["_id"] = str(message["_id"])
    await call.api.publish(call.store.insert(doc))
    return {"message": rest_doc(doc)}


def _send_extra(message: JsonDict) -> JsonDict:
    keys = ("alias", "emoji", "avatar", "attachments", "blocks", "customFields", "tmid")
    extra = {key: message[key] for key in keys if message.get(key) is not None}
    if message.get("tshow") is True:
        extra["tshow"] = True
    return extra


async def update_message(call: Call) -> JsonDict:
    body: JsonDict = call.body
    doc = call.store.messages.get(str(body["msgId"]))
    if doc is None:
        raise failure(f'No message found with the id of "{body["msgId"]}".')
    if body["roomId"] != doc["rid"]:
        raise failure("The room id provided does not match where the message is from.")
    if doc.get("msg") == body["text"]:
        return {"message": rest_doc(doc)}
    user = call.me
    if doc["u"]["_id"] != user.id and not any(r in EDIT_ANY_ROLES for r in user.roles):
        details = {"method": "updateMessage", "action": "Message_editing"}
        raise thrown("error-action-not-allowed", "Message editing not allowed", details)
    _check_can_send(user, call.store.rooms[doc["rid"]])
    await call.api.publish([call.store.edit(doc, str(body["text"]), user)])
    return {"message": rest_doc(doc)}


# -- history -------------------------------------------------------------------------------


async def channels_history(call: Call) -> JsonDict:
    room = call.store.rooms.get(call.query.get("roomId", ""))
    if room is None or room.kind != "c":
        raise thrown("error-room-not-found", ROOM_NOT_A_CHANNEL)
    return _paginated_history(call, room)


async def dm_history(call: Call) -> JsonDict:
    room = call.store.rooms.get(call.query.get("roomId", ""))
    if room is None or room.kind != "d":
        reason = 'The required "roomId" param provided does not match any direct message'
        raise thrown("error-room-not-found", reason)
    if call.me.id not in room.members:
        raise forbidden()
    return _paginated_history(call, room)


def _paginated_history(call: Call, room: Room) -> JsonDict:
    query = call.query
    offset, count = _pagination_items(call.store, query)
    return _history(
        call.store,
        room,
        latest=query.get("latest"),
        oldest=query.get("oldest"),
        inclusive=query.get("inclusive") == "true",
        offset=offset,
        count=count,
        show_threads=query.get("showThreadMessages") == "true",
    )


def _pagination_items(store: Store, query: dict[str, str]) -> tuple[int, int]:
    """`getPaginationItems` (apps/meteor/app/api/server/helpers/getPaginationItems.ts):
    (offset, count), `count` defaulting to `API_Default_Count` and cut down to
    `API_Upper_Count_Limit`; 0 means no limit while `API_Allow_Infinite_Count` is on.

    Simplified: a `count` that is not a number counts as absent (the routes using this
    validate it as a number first).
    """
    settings = store.settings
    upper = settings["API_Upper_Count_Limit"]
    upper = 100 if upper and upper <= 0 else upper  # JavaScript's `limit && limit <= 0`
    default = settings["API_Default_Count"]
    default = 50 if default and default <= 0 else default
    offset = js_parse_int(query["offset"]) if query.get("offset") else 0
    count = js_parse_int(query["count"] or "0") if "count" in query else default
    if count is None:
        count = default
    count = min(count, upper)
    if count == 0 and not settings["API_Allow_Infinite_Count"]:
        count = default
    return offset or 0, count


async def groups_history(call: Call) -> JsonDict:
    room = _private_group(call, call.query)
    query = call.query
    count = js_parse_int(query["count"]) if query.get("count") else 20
    return _history(
        call.store,
        room,
        latest=query.get("latest"),
        oldest=query.get("oldest"),
        inclusive=bool(query.get("inclusive")),  # `inclusive || false`: "false" is truthy
        offset=(js_parse_int(query["offset"]) or 0) if query.get("offset") else 0,
        count=count if count is not None else 20,
        show_threads=query.get("showThreadMessages") != "false",
    )


def _history(
    store: Store,
    room: Room,
    latest: str | None,
    oldest: str | None,
    inclusive: bool,
    offset: int,
    count: int,
    show_threads: bool,
) -> JsonDict:
    """`getChannelHistory`: newest first, `ts` window, skip `offset`, limit `count` (0: all).

    When `latest` is absent the server uses `new Date()`; here it is also never earlier than
    the newest stored message, so a message just posted is not missed by a clock tie.
    """
    upper = mongo_date(latest) if latest else When(max(store.now().ms, store.newest_ts().ms + 1))
    lower = mongo_date(oldest) if oldest else None

    def in_window(doc: JsonDict) -> bool:
        ts: When = doc["ts"]
        below = ts <= upper if inclusive else ts < upper
        above = lower is None or (ts >= lower if inclusive else ts > lower)
        thread_ok = show_threads or not doc.get("tmid") or doc.get("tshow") is True
        return below and above and thread_ok and not doc.get("_hidden")

    found = sorted((d for d in store.in_room(room) if in_window(d)), key=lambda d: d["ts"])
    found.reverse()
    page = found[offset:] if count <= 0 else found[offset : offset + count]
    return {"messages": [rest_doc(doc) for doc in page]}


# -- rooms ---------------------------------------------------------------------------------


def _updated_since(call: Call) -> When | None:
    """The `updatedSince` query parameter of `subscriptions.get` and `rooms.get`."""
    since_text = call.query.get("updatedSince")
    since = parse_js_date(since_text) if since_text else None
    if since_text and since is None:
        reason = 'The "lastUpdate" query parameter must be a valid date.'
        raise thrown("error-roomId-param-invalid", reason)
    return since


async def subscriptions_get(call: Call) -> JsonDict:
    since = _updated_since(call)
    update = []
    for room in call.store.rooms.values():
        if call.me.id not in room.members:
            continue
        doc = call.store.subscription_doc(room, call.me)
        if since is None or doc["_updatedAt"] > since:
            update.append(rest_doc(doc))
    return {"update": update, "remove": []}


async def rooms_get(call: Call) -> JsonDict:
    since = _updated_since(call)
    update = [
        rest_doc(call.store.room_doc(room))
        for room in call.store.rooms.values()
        if call.me.id in room.members and (since is None or room.updated > since)
    ]
    return {"update": update, "remove": []}


async def groups_create(call: Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    name = body.get("name")
    if not name:
        raise failure('Body param "name" is required')
    members = body.get("members") or []
    if not isinstance(members, list):
        raise failure('Body param "members" must be an array if provided')
    _check_room_name(call.store, str(name))
    users = [] if body.get("excludeSelf") else [call.me]
    users += [u for u in (call.store.find_user(str(m)) for m in members) if u is not None]
    room = call.store.add_room(str(name), "p", users)
    room.read_only = bool(body.get("readOnly"))
    return {"group": rest_doc(call.store.room_doc(room))}


def _check_room_name(store: Store, name: str) -> None:
    details = {"function": "RocketChat.getValidRoomName", "channel_name": name}
    if not ROOM_NAME.match(name):
        raise thrown("error-invalid-room-name", f"{name} is not a valid room name.", details)
    if any(room.name == name for room in store.rooms.values()):
        reason = f"A channel with name '{name}' exists"
        raise thrown("error-duplicate-channel-name", reason, details)


def _private_group(call: Call, params: JsonDict) -> Room:
    """`findPrivateGroupByIdOrName`: by roomId or roomName, private, readable by the caller."""
    if not params.get("roomId") and not params.get("roomName"):
        reason = 'The parameter "roomId" or "roomName" is required'
        raise thrown("error-room-param-not-provided", reason)
    key = str(params.get("roomId") or params.get("roomName"))
    room = call.store.find_room(key)
    if room is None or room.kind != "p" or not Store.can_access(call.me, room):
        raise thrown("error-room-not-found", ROOM_NOT_A_GROUP)
    return room


async def groups_info(call: Call) -> JsonDict:
    """`groups.info`: a private group the caller can read, by `roomId` or `roomName`."""
    return {"group": rest_doc(call.store.room_doc(_private_group(call, call.query)))}


async def groups_invite(call: Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    key = str(body.get("roomId") or body.get("roomName") or "").strip()
    if not key:
        reason = 'The parameter "roomId" or "roomName" is required'
        raise thrown("error-room-param-not-provided", reason)
    room = call.store.find_room(key)
    if room is None or room.kind != "p":
        raise thrown("error-room-not-found", ROOM_NOT_A_GROUP)
    invitees = _users_from_params(call.store, body)
    if not invitees:
        raise thrown("error-empty-invite-list", "Cannot invite if no valid users are provided")
    if call.me.id not in room.members and "admin" not in call.me.roles:
        raise thrown("error-not-allowed", "Not allowed", {"method": "addUsersToRoom"})
    for user in invitees:
        if call.store.join(room, user):
            added = call.store.system_message("au", room, call.me, text=user.username)
            await call.api.publish(call.store.insert(added))
    return {"group": rest_doc(call.store.room_doc(room))}


async def groups_kick(call: Call) -> JsonDict:
    """`groups.kick` (`v1/groups.ts`, `removeUserFromRoom`): posts `ru`; a user not in the
    group is `error-user-not-in-room` (for a caller without `kick-user-from-any-p-room`,
    as the bot). Simplified: the caller must be in the group (the server asks for
    `remove-user`, held by owners)."""
    body = call.body if isinstance(call.body, dict) else {}
    room = call.store.find_room(str(body.get("roomId") or body.get("roomName") or ""))
    if room is None or room.kind != "p":
        raise thrown("error-room-not-found", ROOM_NOT_A_GROUP)
    if call.me.id not in room.members and "admin" not in call.me.roles:
        raise thrown("error-not-allowed", "Not allowed", {"method": "removeUserFromRoom"})
    for user in _users_from_params(call.store, body):
        if not call.store.leave(room, user):
            details = {"method": "removeUserFromRoom"}
            raise thrown("error-user-not-in-room", "User is not in this room", details)
        removed = call.store.system_message("ru", room, call.me, text=user.username)
        await call.api.publish(call.store.insert(removed))
    return {"group": rest_doc(call.store.room_doc(room))}


def _channel(call: Call, params: JsonDict) -> Room:
    """`findChannelByIdOrName` (v1/channels.ts): a public channel by roomId or roomName."""
    key = str(params.get("roomId") or params.get("roomName") or "")
    room = call.store.find_room(key) if key else None
    if room is None or room.kind != "c":
        raise thrown("error-room-not-found", ROOM_NOT_A_CHANNEL)
    return room


async def channels_invite(call: Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    room = _channel(call, body)
    invitees = _users_from_params(call.store, body)
    if not invitees:
        raise failure("invalid-user-invite-list")
    if call.me.id not in room.members and "admin" not in call.me.roles:
        raise thrown("error-not-allowed", "Not allowed", {"method": "addUsersToRoom"})
    for user in invitees:
        if call.store.join(room, user):
            added = call.store.system_message("au", room, call.me, text=user.username)
            await call.api.publish(call.store.insert(added))
    return {"channel": rest_doc(call.store.room_doc(room))}


async def channels_kick(call: Call) -> JsonDict:
    """`channels.kick`: `removeUserFromRoomMethod`, as `groups.kick` (a user not in the
    channel is `error-user-not-in-room`)."""
    body = call.body if isinstance(call.body, dict) else {}
    room = _channel(call, body)
    if call.me.id not in room.members and "admin" not in call.me.roles:
        raise thrown("error-not-allowed", "Not allowed", {"method": "removeUserFromRoom"})
    for user in _users_from_params(call.store, body):
        if not call.store.leave(room, user):
            details = {"method": "removeUserFromRoom"}
            raise thrown("error-user-not-in-room", "User is not in this room", details)
        removed = call.store.system_message("ru", room, call.me, text=user.username)
        await call.api.publish(call.store.insert(removed))
    return {"channel": rest_doc(call.store.room_doc(room))}


async def channels_members(call: Call) -> JsonDict:
    return _members(call, _channel(call, call.query))


async def groups_members(call: Call) -> JsonDict:
    return _members(call, _private_group(call, call.query))


def _members(call: Call, room: Room) -> JsonDict:
    """`findUsersOfRoom`, sorted by username, one page of `getPaginationItems`."""
    offset, count = _pagination_items(call.store, call.query)
    users = sorted((call.store.users[uid] for uid in room.members), key=lambda u: u.username)
    page = users[offset:] if count == 0 else users[offset : offset + count]
    members = [
        {"_id": u.id, "username": u.username, "name": u.name, "status": "online"} for u in page
    ]
    return {"members": members, "count": len(members), "offset": offset, "total": len(users)}


def _users_from_params(store: Store, body: JsonDict) -> list[User]:
    """`getUserListFromParams`: userId, username, userIds, usernames."""
    keys: list[str] = []
    for single in ("userId", "username"):
        if body.get(single):
            keys.append(str(body[single]))
    for plural in ("userIds", "usernames"):
        if isinstance(body.get(plural), list):
            keys += [str(k) for k in body[plural]]
    users = []
    for key in keys:
        user = store.find_user(key)
        if user is None:
            reason = 'The required "userId" or "username" param provided does not match any users'
            raise thrown("error-invalid-user", reason)
        users.append(user)
    return users


async def dm_create(call: Call) -> JsonDict:
    body = call.body if isinstance(call.body, dict) else {}
    names = [body["username"]] if "username" in body else str(body["usernames"]).split(",")
    others = []
    for name in (str(n).strip() for n in names):
        user = call.store.find_user(name)
        if user is None:
            raise thrown("error-invalid-user", "Invalid user", {"method": "createDirectMessage"})
        others.append(user)
    if len(others) == 1:
        room = call.store.direct_room(call.me, others[0])
    else:
        members = others if body.get("excludeSelf") else [call.me, *others]
        room = call.store.add_room(None, "d", members)
    doc = rest_doc(call.store.room_doc(room))
    return {"room": {**doc, "rid": room.id, "_id": room.id}}


DM_CREATE_SCHEMA: JsonDict = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"username": {"type": "string"}, "excludeSelf": {"type": "boolean"}},
            "required": ["username"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"usernames": {"type": "string"}, "excludeSelf": {"type": "boolean"}},
            "required": ["usernames"],
            "additionalProperties": False,
        },
    ]
}


async def rooms_info(call: Call) -> JsonDict:
    """`rooms.info`: any room the caller can read, by `roomId` or else `roomName`."""
    if "roomId" in call.query:
        room = call.store.rooms.get(call.query["roomId"])
    elif "roomName" in call.query:
        name = call.query["roomName"]
        room = next((r for r in call.store.rooms.values() if r.name == name), None)
    else:
        reason = 'The parameter "roomId" or "roomName" is required'
        raise thrown("error-roomid-param-not-provided", reason)
    if room is None:
        raise thrown("error-room-not-found", ROOM_NOT_A_CHANNEL)
    if not Store.can_access(call.me, room):
        raise failure("not-allowed", "Not Allowed")
    return {"room": rest_doc(call.store.room_doc(room))}


# -- files ---------------------------------------------------------------------------------


async def rooms_media(call: Call) -> JsonDict:
    room = _room_for_upload(call)
    upload = _store_upload(
        call, room, missing=thrown("error-no-file-uploaded", "No file was uploaded")
    )
    return {"file": {"_id": upload.id, "url": upload.url}}


async def rooms_media_confirm(call: Call) -> JsonDict:
    room = _room_for_upload(call)
    upload = call.store.uploads.get(call.url_param("fileId"))
    if upload is None or upload.user_id != call.me.id or upload.rid != room.id:
        raise thrown("invalid-file")
    fields = dict(call.body) if isinstance(call.body, dict) else {}
    upload.description = fields.pop("description", None)
    if fields.get("fileName"):
        upload.name = str(fields.pop("fileName"))
    doc = await _send_file_message(call, room, upload, fields)
    return {"message": rest_doc(doc)}


async def rooms_upload(call: Call) -> JsonDict:
    room = call.store.rooms.get(call.url_param("rid"))
    if room is None or not Store.can_access(call.me, room):
        raise unauthorized()
    upload = _store_upload(call, room, missing=thrown("invalid-field"))
    fields = dict(call.body)
    upload.description = fields.pop("description", None)
    doc = await _send_file_message(call, room, upload, fields)
    return {"message": rest_doc(doc)}


def _room_for_upload(call: Call) -> Room:
    room = call.store.rooms.get(call.url_param("rid"))
    if room is None or not Store.can_access(call.me, room):
        raise forbidden()
    return room


def _store_upload(call: Call, room: Room, missing: ApiError) -> Upload:
    part = call.files.get("file")
    if part is None:
        raise missing
    data = part.file.read()
    upload = Upload(
        call.store.ids.id(),
        room.id,
        call.me.id,
        part.filename or "file",
        part.content_type or "application/octet-stream",
        data,
        call.store.now(),
    )
    call.store.uploads[upload.id] = upload
    call.store.touch()
    return upload


async def _send_file_message(call: Call, room: Room, upload: Upload, fields: JsonDict) -> JsonDict:
    """`sendFileMessage`: the message carries `file`, `files` and one attachment."""
    _check_can_send(call.me, room)
    info = {
        "_id": upload.id,
        "name": upload.name,
        "type": upload.content_type,
        "size": upload.size,
        "format": "",
    }
    extra: JsonDict = {"file": info, "files": [info], "attachments": [_file_attachment(upload)]}
    if fields.get("tmid"):
        extra["tmid"] = call.store.thread_root(str(fields["tmid"]))
    doc = call.store.build_message(call.me, room, str(fields.get("msg") or ""), extra)
    upload.confirmed, upload.message_id = True, doc["_id"]
    await call.api.publish(call.store.insert(doc))
    return doc


def _file_attachment(upload: Upload) -> JsonDict:
    attachment: JsonDict = {"title": upload.name, "type": "file"}
    if upload.description is not None:
        attachment["description"] = upload.description
    attachment.update({"title_link": upload.url, "title_link_download": True})
    if upload.content_type.startswith("image/"):
        attachment.update(
            {"image_url": upload.url, "image_type": upload.content_type, "image_size": upload.size}
        )
    else:
        extension = upload.name.rsplit(".", 1)[1].lower() if "." in upload.name else ""
        attachment.update({"format": extension, "size": upload.size})
    attachment["fileId"] = upload.id
    return attachment


def routes() -> list[Route]:
    return [
        Route("login", "POST", login, auth=False),
        Route("me", "GET", me),
        Route("users.info", "GET", users_info),
        Route("settings.public", "GET", settings_public, auth=False),
        Route("chat.postMessage", "POST", post_message, legacy_schema=CHAT_POST_MESSAGE),
        Route("chat.sendMessage", "POST", send_message, legacy_schema=CHAT_SEND_MESSAGE),
        Route("chat.getMessage", "GET", get_message),
        Route("chat.update", "POST", update_message, typed_schema=CHAT_UPDATE),
        Route("channels.history", "GET", channels_history, legacy_schema=CHANNELS_HISTORY),
        Route("groups.history", "GET", groups_history),
        Route("im.history", "GET", dm_history, typed_schema=DM_HISTORY),
        Route("dm.history", "GET", dm_history, typed_schema=DM_HISTORY),
        Route("subscriptions.get", "GET", subscriptions_get),
        Route("rooms.get", "GET", rooms_get),
        Route("rooms.info", "GET", rooms_info),
        Route("groups.create", "POST", groups_create),
        Route("groups.info", "GET", groups_info, legacy_schema=GROUPS_INFO),
        Route("groups.invite", "POST", groups_invite, legacy_schema=GROUPS_WITH_USER_ID),
        Route("groups.kick", "POST", groups_kick, legacy_schema=GROUPS_WITH_USER_ID),
        Route("channels.invite", "POST", channels_invite),
        Route("channels.kick", "POST", channels_kick, legacy_schema=CHANNELS_KICK),
        Route("channels.members", "GET", channels_members),
        Route("groups.members", "GET", groups_members),
        Route("im.create", "POST", dm_create, legacy_schema=DM_CREATE_SCHEMA),
        Route("dm.create", "POST", dm_create, legacy_schema=DM_CREATE_SCHEMA),
        Route("rooms.media", "POST", rooms_media, path="rooms.media/{rid}", body="multipart"),
        Route(
            "rooms.mediaConfirm",
            "POST",
            rooms_media_confirm,
            path="rooms.mediaConfirm/{rid}/{fileId}",
        ),
        Route("rooms.upload", "POST", rooms_upload, path="rooms.upload/{rid}", body="multipart"),
    ]
