"""The calling steps every provider adapter shares: encode, send or open, check the status, decode.

An adapter keeps only what is its own — URLs, headers, translation, how its error bodies read — and
hands the rest to an `Exchange`: the body is encoded as JSON, sent through the pooled transport
(`send` for a whole answer, `open_stream` for a streamed one), and a non-2xx answer is turned into the
provider's `UpstreamError` by the adapter's own parser (for a stream, after reading its error body).
`decode_reply` reads a 2xx body into the provider's wire struct; a body that does not decode is
`UpstreamUnavailable`, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec

from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.providers.base import ProviderCall
from gateway.providers.transport import HttpTransport, UpstreamReply, UpstreamStream

__all__ = ["Exchange", "HeaderBuilder", "ReplyError", "decode_reply", "json_headers"]

T = TypeVar("T")

HeaderBuilder = Callable[[ProviderCall], dict[str, str]]
"""Builds a request's headers (credential included) for one call."""

ReplyError = Callable[[ProviderCall, UpstreamReply], UpstreamError]
"""Turns a provider's non-2xx answer into an `UpstreamError` that keeps the provider's status."""

_ENCODER = msgspec.json.Encoder()


def json_headers(call: ProviderCall, key_header: str, *, scheme: str = "") -> dict[str, str]:
    """Return the call's headers for a JSON body, with the key (if any) under `key_header`.

    `scheme` prefixes the key (`"Bearer "` for an `authorization` header).
    """
    headers = {**call.headers, "content-type": "application/json"}
    if call.api_key:
        headers[key_header] = f"{scheme}{call.api_key}"
    return headers


class Exchange:
    """Sends one provider's JSON requests through the pooled transport; refusals become its errors."""

    def __init__(self, transport: HttpTransport, *, headers: HeaderBuilder, error: ReplyError) -> None:
        self._transport = transport
        self._headers = headers
        self._error = error

    async def send(self, call: ProviderCall, url: str, body: Any) -> UpstreamReply:  # Any: JSON or a Struct
        """POST `body` as JSON and return the 2xx reply; raise the provider's error otherwise."""
        reply = await self._transport.send(
            url,
            _ENCODER.encode(body),
            self._headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not reply.ok:
            raise self._error(call, reply)
        return reply

    async def open_stream(
        self,
        call: ProviderCall,
        url: str,
        body: Any,  # Any: JSON or a Struct
        *,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamStream:
        """POST `body` as JSON for a streamed answer; return once it answered 2xx, else raise its error.

        `headers` are set over the adapter's own (e.g. `accept: text/event-stream`).
        """
        sent = self._headers(call)
        if headers:
            sent.update(headers)
        upstream = await self._transport.open_stream(
            url, _ENCODER.encode(body), sent, timeout_s=call.timeout_s, provider=call.provider_id
        )
        if not 200 <= upstream.status < 300:
            data = await upstream.read_all()
            raise self._error(
                call, UpstreamReply(status=upstream.status, headers=upstream.headers, body=data)
            )
        return upstream


def decode_reply(
    decoder: msgspec.json.Decoder[T],
    reply: UpstreamReply,
    *,
    provider: str,
    unreadable: str,
    unexpected: str | None = None,
) -> T:
    """Decode a 2xx body into the provider's wire struct; an unreadable one is `UpstreamUnavailable`.

    `unreadable` is the message for any body that does not decode. With `unexpected`, JSON of the wrong
    shape says so instead, followed by msgspec's description of what did not match.
    """
    try:
        return decoder.decode(reply.body)
    except msgspec.ValidationError as exc:
        message = unreadable if unexpected is None else f"{unexpected}: {exc}"
        raise UpstreamUnavailable(message, provider=provider) from None
    except msgspec.DecodeError:
        raise UpstreamUnavailable(unreadable, provider=provider) from None
