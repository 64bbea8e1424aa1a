"""Conversations: one module per kind of exchange, looked up through handlers.registry."""

from handlers.dispatcher import respond

__all__ = ["respond"]
