"""Small files that look like what WeChat's media/get returns, by MediaId.

MediaIds containing "voice" give AMR audio, "video" a JSON answer with a download URL (as WeChat
does for videos), "expired" or "bad" the error 40007; anything else a JPEG."""

from __future__ import annotations

JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + (b"\xff\xd9")
)
AMR = b"#!AMR\n" + bytes(range(32)) * 4
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def media_kind(media_id: str) -> str:
    """'image', 'voice', 'video' or 'expired' for a MediaId, by the convention above."""
    lowered = media_id.lower()
    for word, kind in (("expired", "expired"), ("bad", "expired"), ("voice", "voice")):
        if word in lowered:
            return kind
    return "video" if "video" in lowered else "image"


def media_body(kind: str) -> tuple[bytes, str]:
    return {"voice": (AMR, "audio/amr"), "video": (MP4, "video/mp4")}.get(
        kind, (JPEG, "image/jpeg")
    )
