"""A Rocket.Chat server emulator for partnerbot's tests: REST + DDP on 127.0.0.1, in memory.

    async with RocketChatEmulator(ping_interval=0.2, ping_timeout=0.2) as emu:
        emu.add_user("partnerbot", "secret", roles=["bot"])
        emu.add_user("alice", "pw")
        emu.add_room("acme", "p", ["partnerbot", "alice"])
        ...  # start the bot against emu.url
        await emu.post("alice", "acme", "@partnerbot help")
        reply = await emu.wait_for(lambda m: m["u"]["username"] == "partnerbot")

Faithful to Rocket.Chat's source (RocketChat/Rocket.Chat; each module names its files):

* DDP (`ddp.py`): greeting, connect/connected, ping/pong both ways with an idle timeout,
  login by resume token or sha-256 digest with Meteor's errors, `stream-room-messages`
  (`__my_messages__` and room ids) with `changed` frames `[message, {roomParticipant, roomType,
  roomName}]`, one delivery per subscription (subscribing twice doubles every event), public
  channels delivered to every logged-in user with `roomParticipant: false`, nothing replayed
  after a reconnect, `nosub` errors, Meteor's `too-many-requests` error.
* REST (`rest.py`, `endpoints.py`): the order auth -> rate limiter -> validation -> endpoint,
  the 401/429/400 bodies and `X-RateLimit-*` headers, Ajv validation messages (unknown
  `chat.postMessage` fields refused), `chat.sendMessage` with an existing `_id` (400, nothing
  stored), edits re-sending the same `_id`, history windows including `groups.history`'s
  truthy-string `inclusive`, the `count` defaults and the hidden thread replies of
  `channels.history`/`im.history`, their `count` cut to the `API_Upper_Count_Limit` setting
  (`set_setting`), `rooms.get`'s `lm` left alone by replies that stay in their thread,
  duplicate group names, DM ids made of the two user ids, file upload and confirmation
  messages, `groups.invite`/`groups.kick` refusing a body without `userId` (6.3 to 8.0), a
  group's creator in its `u`, and (`refuse_as_unauthorized`) 8.0's 401 for a permission
  error.
* Dates: ISO strings over REST, `{"$date": ms}` over DDP; ids are Meteor-style 17-char ids.

Simplified (not checked against a live server, or deliberately reduced):

* One server version is emulated: the PROTOCOL.md era for login errors (403 "User not found";
  `login_error=` selects later wording), pre-8.0 for `forbidden` bodies and `rooms.upload`.
* Permissions are reduced to roles: admin, bot/app (impersonation, rate-limit bypass), room
  owner/moderator (read-only rooms); everyone may create groups and DMs.
* Messages get `mentions`, `channels` and a plain-text `md`; no URL previews, no `urls`, no
  markdown parsing, no read receipts, no message deletion, no `_hidden` edit history.
* No two messages share a `ts` (the server can store ties), and a history call without
  `latest` never cuts off a message just stored.
* Invalid dates in history queries act as the epoch (js-bson's `Long.fromNumber(NaN)` is 0);
  only ISO 8601 strings parse, offset-less times are UTC.
* `im.create` of an unknown user and `groups.invite` of an unknown user use the error texts
  of `createDirectMessage` and `getUserFromParams` as recalled, not re-read.
* Only `stream-room-messages` is published; other subscriptions answer `nosub` 404.
* `__my_messages__` is `ready` even before login (the server allows reading it to anyone) but
  nothing reaches a connection that is not logged in.
"""

from .model import Room, Upload, User, When
from .rest import RestCall
from .server import RocketChatEmulator

__all__ = ["RestCall", "RocketChatEmulator", "Room", "Upload", "User", "When"]
