"""Transports: the Rocket.Chat client and the local console, behind `chat.base.Transport`."""
