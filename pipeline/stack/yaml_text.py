"""YAML text for the generated deployment files, written without a YAML library.

The runtime image carries no YAML package, and the generated manifests hold only mappings, lists,
strings, integers and booleans: block style for structure, and a string is written plain only when a
YAML 1.1 reader cannot take it for anything else (else double-quoted, with escapes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

Node = Mapping[str, "Node"] | Sequence["Node"] | str | int | bool

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
# What YAML lets stand unescaped in a double-quoted scalar: no line breaks or tabs (those fold), and not the
# line and paragraph separators U+2028/U+2029 (YAML 1.1 breaks lines there too) nor a byte-order mark.
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})
FLOW_WIDTH = 100  # a list of scalars goes on one line, `[a, b]`, when the line stays this short


def scalar(value: str | int | bool) -> str:
    """One scalar as YAML text that reads back as the same value and type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    return '"' + "".join(_escaped(ch) for ch in value) + '"'


def _escaped(ch: str) -> str:
    """One character inside YAML double quotes: as is if printable, else an escape a YAML reader decodes."""
    if ch in '"\\':
        return "\\" + ch
    if _PRINTABLE.fullmatch(ch):
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _is_scalar(node: Node) -> bool:
    return isinstance(node, str | int | bool)


def _entry(head: str, value: Node, indent: int) -> list[str]:
    """`head` (`key:` or `-`) and its value: on the same line if a scalar, empty or a short list of scalars."""
    if isinstance(value, str | int | bool) or not value:
        return [f"{head} {_inline(value)}"]
    if isinstance(value, Mapping):
        inner = _block(value, indent + 2)
    elif all(_is_scalar(item) for item in value) and len(head) + 1 + len(_inline(value)) <= FLOW_WIDTH:
        return [f"{head} {_inline(value)}"]
    else:
        inner = _block(value, indent + 2)
    if head.lstrip() == "-":  # a list item's first line goes after the dash
        return [f"{head} {inner[0].lstrip()}", *inner[1:]]
    return [head, *inner]


def _block(node: Mapping[str, Node] | Sequence[Node], indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(node, Mapping):
        return [line for key, value in node.items() for line in _entry(f"{pad}{scalar(key)}:", value, indent)]
    return [line for item in node for line in _entry(f"{pad}-", item, indent)]


def _inline(node: Node) -> str:
    if isinstance(node, str | int | bool):
        return scalar(node)
    if isinstance(node, Mapping):
        return "{" + ", ".join(f"{scalar(k)}: {_inline(v)}" for k, v in node.items()) + "}"
    return "[" + ", ".join(_inline(item) for item in node) + "]"


def document(node: Mapping[str, Node]) -> str:
    """One YAML document (no `---`), ending in a newline."""
    return "\n".join(_block(node, 0)) + "\n"


def documents(nodes: Sequence[Mapping[str, Node]], header: str = "") -> str:
    """A multi-document YAML file: the comment `header` (each line prefixed `# `), then `---`-separated documents."""
    head = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return head + "---\n".join(document(node) for node in nodes)


def block(node: Mapping[str, Node] | Sequence[Node], indent: int) -> str:
    """A mapping's entries or a list's items as lines indented by `indent` spaces (to sit inside a larger file)."""
    return "\n".join(_block(node, indent)) + "\n"
