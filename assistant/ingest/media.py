"""What kind of media an attachment is, from its file name (exports rarely state a MIME type)."""

from __future__ import annotations

from pathlib import PurePosixPath

# Explicit lists: the standard library's mimetypes table lacks common chat formats (.m4a, .ogg, .webp)
# and varies with the machine's /etc/mime.types.
_EXTENSIONS = {
    "image": {"jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "bmp", "tif", "tiff", "svg", "apng"},
    "video": {"mp4", "mov", "webm", "mkv", "avi", "m4v", "3gp", "qt", "mpeg"},
    "audio": {"mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "flac", "amr"},
}
_KIND_OF = {ext: kind for kind, exts in _EXTENSIONS.items() for ext in exts}


def media_from_filename(name: str) -> str:
    """'image', 'video', 'audio', or 'file' for anything else."""
    return _KIND_OF.get(PurePosixPath(name.split("?")[0]).suffix.lower().lstrip("."), "file")


def media_from_mime(mime: str | None) -> str:
    """The same four kinds from a MIME type ('image/heic' -> 'image'), for exports that state one."""
    major = (mime or "").split("/")[0].strip().lower()
    return major if major in _EXTENSIONS else "file"
