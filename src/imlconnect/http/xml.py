"""Parse XML response bodies safely into the shape Make gives them.

Make's shape: the result is a collection with one key, the root element's name, whose value is an
array, because every element is an array of its occurrences. Inside an element:

- an element with no attributes and no child elements is its text, exactly as written (an empty
  element is `""`),
- otherwise it is a collection: attributes under `_attributes` (a collection of strings), each
  child element name with the array of its occurrences in document order, and the element's own
  text under `_value`. Beside attributes only, `_value` is the text as written. Beside child
  elements (mixed content) it is the text joined and stripped, so whitespace-only text such as
  indentation is left out.

`<status code="1">ok</status>` gives `{"status": [{"_attributes": {"code": "1"}, "_value": "ok"}]}`
and `<a><b>x</b><b>y</b></a>` gives `{"a": [{"b": ["x", "y"]}]}`.

Names keep their namespace prefixes as written (`soap:Envelope`) and `xmlns` declarations are
ordinary attributes. Comments and processing instructions are dropped. Parsing goes through
defusedxml: a document with a DTD or an entity declaration is rejected, so neither entity
expansion (the "billion laughs" attack) nor external fetching can happen, and nesting deeper
than `max_depth` elements is rejected.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, InputSource

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from ..iml.values import Value
from .charsets import text_codec
from .models import ResponseParseError

#: Default bound on the nesting depth of JSON and XML response bodies.
DEFAULT_MAX_DEPTH = 256

DTD_REJECTED = "XML with a DTD or entities is not accepted"

_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class _TooDeep(SAXException):
    pass


@dataclass
class _Element:
    attributes: dict[str, str]
    children: dict[str, list[Value]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)

    def value(self) -> Value:
        text = "".join(self.text)
        if not self.attributes and not self.children:
            return text
        shaped: dict[str, Value] = {}
        if self.attributes:
            shaped["_attributes"] = self.attributes
        shaped.update(self.children)
        if self.children:
            text = text.strip()
        if text:
            shaped["_value"] = text
        return shaped


class _ShapeBuilder(ContentHandler):
    """SAX handler that builds Make's XML shape while the document streams in."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self.max_depth = max_depth
        self.stack: list[_Element] = []
        self.result: dict[str, list[Value]] | None = None

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        if len(self.stack) >= self.max_depth:
            raise _TooDeep(f"elements are nested deeper than {self.max_depth} levels")
        self.stack.append(_Element(attributes=dict(attrs.items())))

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text.append(content)

    def endElement(self, name: str) -> None:
        element = self.stack.pop()
        value = element.value()
        if self.stack:
            self.stack[-1].children.setdefault(name, []).append(value)
        else:
            self.result = {name: [value]}


def xml_encoding(body: bytes, charset: str | None) -> str:
    """Choose the encoding of an XML body: the HTTP charset, else a byte order mark, else the
    encoding in the XML declaration, else UTF-8. Unknown names fall back to UTF-8."""
    candidates: list[str] = []
    if charset:
        candidates.append(charset)
    for mark, name in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            candidates.append(name)
    declared = _DECLARED_ENCODING.match(body[:256])
    if declared is not None:
        candidates.append(declared.group(1).decode("ascii"))
    for name in candidates:
        codec = text_codec(name)
        if codec is not None:
            return codec
    return "utf-8"


def parse_xml(
    body: bytes,
    *,
    charset: str | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    status: int | None = None,
) -> dict[str, Any]:
    """Parse an XML body into Make's shape (see the module docstring).

    The text is decoded in Python with `xml_encoding` (undecodable bytes become U+FFFD) and
    handed to expat as UTF-8, so the declared encoding cannot contradict it. Raises
    ResponseParseError (type `xml`, the given `status`) for malformed XML, for a DTD or entity
    declaration, and for nesting deeper than `max_depth`.
    """
    text = body.decode(xml_encoding(body, charset), errors="replace").removeprefix("\ufeff")
    source = InputSource()
    source.setByteStream(BytesIO(text.encode("utf-8", errors="replace")))
    source.setEncoding("UTF-8")

    handler = _ShapeBuilder(max_depth)
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    try:
        parser.parse(source)
    except DefusedXmlException:
        raise ResponseParseError("xml", status, DTD_REJECTED) from None
    except SAXParseException as error:
        line, column = error.getLineNumber(), error.getColumnNumber()
        where = f"line {line}, column {column + 1}: " if line is not None and column is not None else ""
        reason = where + error.getMessage()
        raise ResponseParseError("xml", status, reason) from None
    except SAXException as error:
        raise ResponseParseError("xml", status, error.getMessage()) from None
    if handler.result is None:  # pragma: no cover - expat rejects a document without a root
        raise ResponseParseError("xml", status, "the document has no root element")
    return handler.result
