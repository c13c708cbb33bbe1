"""Binary functions: Base64, hashes and HMAC, text-to-binary conversions and MIME types.

Encodings are Node.js Buffer encodings: `utf8` (`utf-8`), `utf16le` (`ucs2`), `latin1`
(`binary`), `ascii`, `base64`, `base64url` and `hex`, case-insensitive. Decoding follows
Node's lenient rules: `hex` stops at the first pair that is not hexadecimal, and `base64`
skips characters outside its alphabet and accepts the URL-safe alphabet and missing padding.
"""

from __future__ import annotations

import base64 as b64
import hashlib
import hmac
import mimetypes
import re
from collections.abc import Callable
from typing import Any

from ..values import UNDEFINED, Value, is_nullish, to_string, truthy
from .coerce import CallLike, check_text, fail, to_text, wrong_type
from .registry import BUILTINS
from .text import to_code_units

_ENCODING_ALIASES = {
    "utf8": "utf8",
    "utf-8": "utf8",
    "utf16le": "utf16le",
    "utf-16le": "utf16le",
    "ucs2": "utf16le",
    "ucs-2": "utf16le",
    "latin1": "latin1",
    "binary": "latin1",
    "ascii": "ascii",
    "base64": "base64",
    "base64url": "base64url",
    "hex": "hex",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def encoding_name(call: CallLike, value: Value, position: int, default: str = "utf8") -> str:
    """Return the canonical Node encoding named by an argument. Raise for unknown names."""
    if is_nullish(value) or value == "":
        return default
    if not isinstance(value, str):
        wrong_type(call, position, value, "an encoding name such as utf8, hex or base64")
    name = _ENCODING_ALIASES.get(value.strip().lower())
    if name is None:
        fail(
            call,
            f"argument {position} is an unknown encoding '{value[:40]}'. Use one of "
            "utf8, utf16le, latin1, ascii, base64, base64url or hex.",
        )
    return name


def encode_text(text: str, encoding: str) -> bytes:
    """Turn text into bytes as Node's Buffer.from(text, encoding)."""
    if encoding == "utf8":
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")
    if encoding == "utf16le":
        return text.encode("utf-16-le", "surrogatepass")
    if encoding in ("latin1", "ascii"):
        return bytes(ord(char) & 0xFF for char in to_code_units(text))
    if encoding == "hex":
        match = re.match(r"(?:[0-9A-Fa-f]{2})*", text)
        return bytes.fromhex(match.group(0) if match else "")
    # base64 and base64url: decoding stops at padding, and a lone trailing character is dropped.
    cleaned = _NOT_BASE64.sub("", text.split("=", 1)[0].replace("-", "+").replace("_", "/"))
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    return b64.b64decode(cleaned + "=" * (-len(cleaned) % 4))


def decode_bytes(data: bytes, encoding: str) -> str:
    """Turn bytes into text as Node's buffer.toString(encoding)."""
    if encoding == "utf8":
        return data.decode("utf-8", "replace")
    if encoding == "utf16le":
        return data[: len(data) - len(data) % 2].decode("utf-16-le", "surrogatepass")
    if encoding == "latin1":
        return data.decode("latin-1")
    if encoding == "ascii":
        return "".join(chr(byte & 0x7F) for byte in data)
    if encoding == "hex":
        return data.hex()
    if encoding == "base64url":
        return b64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    return b64.b64encode(data).decode("ascii")


def data_argument(call: CallLike, value: Value, position: int) -> bytes:
    """Return the bytes of a text (UTF-8) or binary argument."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return encode_text(to_text(call, value, position), "utf8")


# --- Base64 --------------------------------------------------------------------------------


@BUILTINS.register("base64", min_args=1, max_args=1)
def base64(call: CallLike, value: Value) -> Value:
    """Encode text (as UTF-8) or binary data as Base64 text with padding."""
    if is_nullish(value):
        return value
    return check_text(call, b64.b64encode(data_argument(call, value, 1)).decode("ascii"))


_STRICT_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)")


@BUILTINS.register("base64url", min_args=1, max_args=1)
def base64url(call: CallLike, value: Value) -> Value:
    """Encode data as URL-safe Base64 without padding.

    Binary data and ordinary text (as UTF-8) are encoded. Text that is already padded
    standard Base64, such as the output of `sha256(v, 'base64')`, is converted to the URL-safe
    alphabet instead, which is what Make's documented PKCE example
    `base64url(sha256(verifier, 'base64'))` relies on. NOTE: this rule is inferred from that
    example. Make does not document base64url further.
    """
    if is_nullish(value):
        return value
    if isinstance(value, str) and _STRICT_BASE64.fullmatch(value):
        return value.replace("+", "-").replace("/", "_").rstrip("=")
    encoded = b64.urlsafe_b64encode(data_argument(call, value, 1)).decode("ascii").rstrip("=")
    return check_text(call, encoded)


# --- hashes --------------------------------------------------------------------------------

_OUTPUT_ENCODINGS = {"hex", "base64", "base64url", "latin1"}


def _digest(call: CallLike, algorithm: str, args: tuple[Value, ...]) -> Value:
    value = args[0]
    if is_nullish(value):
        return value
    data = data_argument(call, value, 1)
    output = encoding_name(call, args[1] if len(args) > 1 else UNDEFINED, 2, default="hex")
    if output not in _OUTPUT_ENCODINGS:
        fail(call, f"argument 2 must be the output encoding hex, base64 or latin1, got '{output}'.")
    key_value = args[2] if len(args) > 2 else UNDEFINED
    if truthy(key_value) or isinstance(key_value, (bytes, bytearray)):
        key = _hmac_key(call, key_value, args[3] if len(args) > 3 else UNDEFINED)
        digest = hmac.new(key, data, algorithm).digest()
    else:
        digest = hashlib.new(algorithm, data).digest()
    return decode_bytes(digest, output)


def _hmac_key(call: CallLike, key: Value, key_encoding: Value) -> bytes:
    if isinstance(key, (bytes, bytearray)):
        return bytes(key)
    if isinstance(key, (list, dict)):
        wrong_type(call, 3, key, "a key (text or binary)")
    text = to_string(key)
    kind = "text" if is_nullish(key_encoding) or key_encoding == "" else to_string(key_encoding).lower()
    if kind in ("text", "utf8", "utf-8"):
        return encode_text(text, "utf8")
    if kind in ("hex", "base64", "base64url", "latin1"):
        return encode_text(text, kind)
    if kind == "binary":
        # Make's "binary" key encoding means "the key is binary data". For text it is latin1.
        return encode_text(text, "latin1")
    fail(call, "argument 4 must be the key encoding text, hex, base64 or binary.")


def _register_hash(name: str, algorithm: str, max_args: int) -> Callable[..., Any]:
    @BUILTINS.register(name, min_args=1, max_args=max_args)
    def digest(call: CallLike, *args: Value) -> Value:
        return _digest(call, algorithm, args)

    digest.__doc__ = (
        f"Return the {algorithm.upper()} digest of text (UTF-8) or binary data, as hex by default.\n\n"
        "Arguments: data, [encoding hex|base64|latin1], [key], [keyEncoding text|hex|base64|binary].\n"
        "With a key the result is an HMAC."
    )
    digest.__name__ = name
    return digest


md5 = _register_hash("md5", "md5", 4)
sha1 = _register_hash("sha1", "sha1", 4)
sha256 = _register_hash("sha256", "sha256", 4)
sha512 = _register_hash("sha512", "sha512", 4)


# --- conversions ---------------------------------------------------------------------------


@BUILTINS.register("toString", min_args=1, max_args=2)
def to_string_(call: CallLike, value: Value, encoding: Value = UNDEFINED) -> Value:
    """Convert a value to text.

    Binary data is decoded with the encoding, utf8 by default, and `hex` or `base64` give
    those texts. Other values follow IML's text rules: arrays join with `,`, collections become
    `{object}`, dates ISO 8601, undefined and null the empty string.
    """
    if isinstance(value, (bytes, bytearray)):
        return check_text(call, decode_bytes(bytes(value), encoding_name(call, encoding, 2)))
    return check_text(call, to_string(value))


@BUILTINS.register("toBinary", min_args=1, max_args=2)
def to_binary(call: CallLike, value: Value, encoding: Value = UNDEFINED) -> Value:
    """Convert text to binary data, reading it in the encoding (utf8 by default).

    `toBinary('48656c6c6f', 'hex')` and `toBinary('SGVsbG8=', 'base64')` give the bytes of
    `Hello`. Binary data is returned unchanged. Undefined and null too.
    """
    if is_nullish(value):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    name = encoding_name(call, encoding, 2)
    return encode_text(to_text(call, value, 1), name)


# --- MIME types ----------------------------------------------------------------------------

#: Types that differ between Python versions or that the stdlib table lacks. They win.
_MIME_OVERRIDES = {
    "json": "application/json",
    "js": "application/javascript",
    "mjs": "application/javascript",
    "csv": "text/csv",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "webp": "image/webp",
    "avif": "image/avif",
    "heic": "image/heic",
    "svg": "image/svg+xml",
    "ico": "image/vnd.microsoft.icon",
    "bmp": "image/bmp",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "flac": "audio/flac",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "mov": "video/quicktime",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "7z": "application/x-7z-compressed",
    "rar": "application/vnd.rar",
    "tar": "application/x-tar",
    "rtf": "application/rtf",
    "xml": "application/xml",
    "yaml": "application/yaml",
    "yml": "application/yaml",
    "wasm": "application/wasm",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "epub": "application/epub+zip",
    "ics": "text/calendar",
    "vcf": "text/vcard",
}

# A table built from the stdlib defaults only: MimeTypes(filenames=()) reads no system files.
_MIME_TABLE = mimetypes.MimeTypes(filenames=())


def mime_type(filename: str) -> str | None:
    """Return the MIME type for a file name or a bare extension, or None when unknown."""
    base = re.split(r"[\\/]", filename.strip())[-1]
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else base.lower()
    if not extension:
        return None
    if extension in _MIME_OVERRIDES:
        return _MIME_OVERRIDES[extension]
    guessed, _ = _MIME_TABLE.guess_type("file." + extension, strict=False)
    return guessed


@BUILTINS.register("mime", min_args=1, max_args=1)
def mime(call: CallLike, filename: Value) -> Value:
    """Return the MIME type for a file name (`picture.png` gives `image/png`), or undefined."""
    if is_nullish(filename):
        return UNDEFINED
    found = mime_type(to_text(call, filename, 1))
    return UNDEFINED if found is None else found
