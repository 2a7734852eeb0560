"""Publishes through the Faust app's own producer, from the worker thread the handler runs in."""

from __future__ import annotations

import asyncio

import faust

from suara_kit.publishing import EventPublisher


class FaustEventPublisher(EventPublisher):
    def __init__(self, topic: faust.TopicT, loop: asyncio.AbstractEventLoop, timeout_seconds: float = 60.0) -> None:
        self._topic = topic
        self._loop = loop
        self._timeout = timeout_seconds

    async def _send(self, key: str, value: bytes) -> None:
        delivery = await self._topic.send(key=key.encode(), value=value)
        await delivery  # wait for the broker's acknowledgement (producer_acks=-1: all in-sync replicas)

    def publish(self, key: str, value: bytes) -> None:
        asyncio.run_coroutine_threadsafe(self._send(key, value), self._loop).result(timeout=self._timeout)
