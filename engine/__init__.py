"""The machinery that runs the chat commands, apart from the commands themselves.

`framework` says what a command is (its spec, the `Context` a handler gets), `parsing`
reads what a user typed, `registry` finds the commands in `commands/`, `dispatch` turns a
message into stored changes and queued replies exactly once (with `audience` deciding
where answers may be shown and `languages` whose language they are in), `outbox` keeps the
replies until delivered, `runner` moves messages in and replies out, `schedule` runs the
daily jobs, and `metrics` counts what happened.
"""
