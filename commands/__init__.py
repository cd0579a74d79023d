"""Chat commands, one module each (a `SPEC` and its handler), and the machinery around them.

The machinery: `parsing` (message text to an invocation), `framework` (the spec and the
handler's context), `registry` (finds the command modules), `dispatch` (checks and runs one
message in one storage transaction) and `runner` (joins a transport to the dispatcher).
"""
