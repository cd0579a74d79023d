"""Request validation the way Rocket.Chat's Ajv validators report it.

Rocket.Chat compiles JSON schemas with `new Ajv({ coerceTypes: true })`
(`packages/rest-typings/src/v1/Ajv.ts`), without `allErrors`: a schema stops at its first
failing keyword, keywords run in Ajv's order (type, then `required`, then
`additionalProperties`, then `properties`), and a failed `oneOf` keeps every branch's error
followed by "must match exactly one schema in oneOf".  The messages are joined with "\\n "
(`apps/meteor/app/api/server/ApiClass.ts`, `router.ts`).

Only the keywords these schemas use are implemented.  The schemas mirror
`packages/rest-typings/src/v1/chat.ts` (chat.postMessage, chat.sendMessage, chat.update),
`.../channels/ChannelsHistoryProps.ts`, `.../dm/DmHistoryProps.ts` and
`.../groups/BaseProps.ts` (groups.info; groups.invite and groups.kick, which require `userId`
from 6.3 to 8.0: a body with only `username` is refused).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_STRING: Schema = {"type": "string"}
_NULLABLE_STRING: Schema = {"type": "string", "nullable": True}
_OBJECTS: Schema = {"type": "array", "items": {"type": "object"}, "nullable": True}
_STRING_OR_STRINGS: Schema = {"oneOf": [_STRING, {"type": "array", "items": _STRING}]}
_TRUE_FALSE: Schema = {"type": "string", "enum": ["false", "true"]}

_POST_MESSAGE_COMMON: Schema = {
    "text": _NULLABLE_STRING,
    "alias": _NULLABLE_STRING,
    "emoji": _NULLABLE_STRING,
    "avatar": _NULLABLE_STRING,
    "attachments": _OBJECTS,
    "customFields": {"type": "object", "nullable": True},
    "parseUrls": {"type": "boolean"},
}

CHAT_POST_MESSAGE: Schema = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"roomId": _STRING_OR_STRINGS, **_POST_MESSAGE_COMMON, "tmid": _STRING},
            "required": ["roomId"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"channel": _STRING_OR_STRINGS, **_POST_MESSAGE_COMMON},
            "required": ["channel"],
            "additionalProperties": False,
        },
    ]
}

CHAT_SEND_MESSAGE: Schema = {
    "type": "object",
    "properties": {
        # The inner object has no additionalProperties rule: unknown message fields pass.
        "message": {
            "type": "object",
            "properties": {
                "_id": _NULLABLE_STRING,
                "rid": _STRING,
                "tmid": _NULLABLE_STRING,
                "msg": _NULLABLE_STRING,
                "alias": _NULLABLE_STRING,
                "emoji": _NULLABLE_STRING,
                "tshow": {"type": "boolean", "nullable": True},
                "avatar": _NULLABLE_STRING,
                "attachments": _OBJECTS,
                "blocks": _OBJECTS,
                "customFields": {"type": "object", "nullable": True},
            },
        },
        "previewUrls": {"type": "array", "items": _STRING, "nullable": True},
    },
    "required": ["message"],
    "additionalProperties": False,
}

CHAT_UPDATE: Schema = {
    "type": "object",
    "properties": {
        "roomId": _STRING,
        "msgId": _STRING,
        "text": _STRING,
        "previewUrls": {"type": "array", "items": _STRING, "nullable": True},
        "customFields": {"type": "object", "nullable": True},
    },
    "required": ["roomId", "msgId", "text"],
    "additionalProperties": False,
}

_HISTORY_FILTERS: Schema = {
    "latest": {"type": "string", "minLength": 1, "nullable": True},
    "showThreadMessages": {**_TRUE_FALSE, "nullable": True},
    "oldest": {"type": "string", "minLength": 1, "nullable": True},
    "inclusive": {**_TRUE_FALSE, "nullable": True},
    "unreads": {**_TRUE_FALSE, "nullable": True},
    "count": {"type": "number", "nullable": True},
    "offset": {"type": "number", "nullable": True},
    "sort": {"type": "string", "nullable": True},
}

CHANNELS_HISTORY: Schema = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"roomId": {"type": "string", "minLength": 1}, **_HISTORY_FILTERS},
            "required": ["roomId"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"roomName": {"type": "string", "minLength": 1}, **_HISTORY_FILTERS},
            "required": ["roomName"],
            "additionalProperties": False,
        },
    ]
}

DM_HISTORY: Schema = {
    "type": "object",
    "properties": {"roomId": {"type": "string", "minLength": 1}, **_HISTORY_FILTERS},
    "required": ["roomId"],
    "additionalProperties": False,
}


def _group_params(extra: Schema, required: list[str]) -> Schema:
    """`withGroupBaseProperties`: the room by `roomId` or by `roomName` (exactly one of the
    two branches), `name` and `typeGroup` allowed, nothing else besides `extra`."""
    common: Schema = {"name": _NULLABLE_STRING, "typeGroup": _NULLABLE_STRING, **extra}
    return {
        "oneOf": [
            {
                "type": "object",
                "properties": {"roomId": _STRING, **common},
                "required": ["roomId", *required],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"roomName": _STRING, **common},
                "required": ["roomName", *required],
                "additionalProperties": False,
            },
        ]
    }


GROUPS_INFO: Schema = _group_params({}, [])  # `withBaseProps`
GROUPS_WITH_USER_ID: Schema = _group_params({"userId": _STRING}, ["userId"])  # `withUserIdProps`
# `isChannelsKickProps` (packages/rest-typings/src/v1/channels/ChannelsKickProps.ts): a room
# by id and a user by id, nothing else.
CHANNELS_KICK: Schema = {
    "type": "object",
    "properties": {"roomId": _STRING, "userId": _STRING},
    "required": ["roomId", "userId"],
    "additionalProperties": False,
}


def validate(schema: Schema, data: Any) -> list[str]:
    """Ajv's error messages for `data`, empty when it is valid."""
    errors: list[str] = []
    _check(schema, data, errors)
    return errors


def _check(schema: Schema, data: Any, errors: list[str]) -> bool:
    if "oneOf" in schema:
        return _check_one_of(schema["oneOf"], data, errors)
    if data is None and schema.get("nullable"):
        return True
    expected = schema.get("type")
    if expected is not None and not _is_type(expected, data):
        errors.append(f"must be {expected}")
        return False
    if "enum" in schema and _coerce_scalar(data) not in schema["enum"]:
        errors.append("must be equal to one of the allowed values")
        return False
    if "minLength" in schema and len(str(data)) < schema["minLength"]:
        errors.append(f"must NOT have fewer than {schema['minLength']} characters")
        return False
    if isinstance(data, dict):
        return _check_object(schema, data, errors)
    if isinstance(data, list) and "items" in schema:
        return all(_check(schema["items"], item, errors) for item in data)
    return True


def _check_object(schema: Schema, data: dict[str, Any], errors: list[str]) -> bool:
    for name in schema.get("required", []):
        if name not in data:
            errors.append(f"must have required property '{name}'")
            return False
    properties: Schema = schema.get("properties", {})
    if schema.get("additionalProperties") is False and any(k not in properties for k in data):
        errors.append("must NOT have additional properties")
        return False
    return all(_check(properties[k], v, errors) for k, v in data.items() if k in properties)


def _check_one_of(branches: list[Schema], data: Any, errors: list[str]) -> bool:
    branch_errors: list[str] = []
    passing = sum(1 for branch in branches if _check(branch, data, branch_errors))
    if passing == 1:
        return True
    if passing == 0:
        errors.extend(branch_errors)
    errors.append("must match exactly one schema in oneOf")
    return False


def _is_type(expected: str, data: Any) -> bool:
    """Type check with Ajv's `coerceTypes: true` for scalars."""
    if expected == "object":
        return isinstance(data, dict)
    if expected == "array":
        return isinstance(data, list)
    if expected == "string":
        return isinstance(data, str) or _is_scalar(data)
    if expected == "number":
        return _as_number(data) is not None
    if expected == "boolean":
        return isinstance(data, bool) or data in ("true", "false", 0, 1, None)
    return True


def _is_scalar(data: Any) -> bool:
    return data is None or isinstance(data, bool | int | float)


def _as_number(data: Any) -> float | None:
    if isinstance(data, bool):
        return float(data)
    if isinstance(data, int | float):
        return float(data)
    if data is None:
        return 0.0
    if isinstance(data, str) and data.strip():
        try:
            return float(data)
        except ValueError:
            return None
    return None


def _coerce_scalar(data: Any) -> Any:
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int | float):
        return str(data)
    return data
