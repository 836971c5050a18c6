"""Positions in an expression's text, and parse errors that point at them.

:class:`Source` turns the positions Python's ``ast`` reports (UTF-8 byte offsets) into
character columns and writes messages with a caret under the text.  Each line is
encoded once, so looking up many positions stays linear in the text's length.

>>> src = Source("x + ^2")
>>> print(src.locate("here", 1, 5))
here at column 5
  x + ^2
      ^
"""

from __future__ import annotations

import ast
import re
import unicodedata

from .errors import InputError, ParseError

__all__ = ["MAX_LENGTH", "Source", "check_text", "syntax_error"]

#: The longest text an expression may be, in characters.
MAX_LENGTH = 100_000


class Source:
    """The text, split into lines, for turning AST positions into columns and carets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = re.split(r"\r\n|\r|\n", text)
        self._encoded: dict[int, bytes] = {}
        #: Spaces and tabs before the expression: Python's parser would call them an
        #: indent, so :attr:`body` (what is parsed) leaves them out and positions on the
        #: first line are shifted back by as many.
        self.indent = len(self.lines[0]) - len(self.lines[0].lstrip(" \t"))
        self.body = text[self.indent:]

    def _shift(self, lineno: int, offset: int) -> int:
        return offset + self.indent if lineno == 1 else offset

    def _bytes(self, lineno: int) -> bytes:
        line = self._encoded.get(lineno)
        if line is None:
            text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
            line = self._encoded[lineno] = text.encode("utf-8")
        return line

    def column(self, lineno: int, col_offset: int) -> int:
        """1-based character column of an AST position (whose offset counts UTF-8 bytes)."""
        prefix = self._bytes(lineno)[:self._shift(lineno, col_offset)]
        return len(prefix.decode("utf-8", "ignore")) + 1

    def error(self, message: str, lineno: int, column: int) -> ParseError:
        return ParseError(self.locate(message, lineno, column), column=column)

    def locate(self, message: str, lineno: int, column: int) -> str:
        """``message`` with "at column N" and a caret line under the text."""
        where = f"at column {column}"
        if len(self.lines) > 1:
            where += f" of line {lineno}"
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        line = line.replace("\t", " ")
        caret = column - 1
        if len(line) > 72:  # show a window around the column
            start = max(0, min(caret - 36, len(line) - 72))
            shown = line[start:start + 72]
            caret -= start
            if start:
                shown, caret = "..." + shown[3:], caret
            if start + 72 < len(line):
                shown = shown[:-3] + "..."
            line = shown
        return f"{message} {where}\n  {line}\n  {' ' * caret}^"

    def at(self, message: str, node: ast.AST) -> ParseError:
        lineno = getattr(node, "lineno", 1)
        return self.error(message, lineno, self.column(lineno, getattr(node, "col_offset", 0)))

    def segment(self, node: ast.AST, limit: int = 40) -> str:
        """The text of ``node``, white space folded, cut to ``limit`` characters."""
        start, end = getattr(node, "lineno", 0), getattr(node, "end_lineno", None)
        first = self._shift(start, getattr(node, "col_offset", 0))
        last = getattr(node, "end_col_offset", None)
        last = None if last is None or end is None else self._shift(end, last)
        if start < 1 or end is None or last is None:
            return "?"
        if start == end:
            s = self._bytes(start)[first:last].decode("utf-8", "replace")
        else:
            parts = [self._bytes(start)[first:]]
            parts += [self._bytes(k) for k in range(start + 1, end)]
            parts.append(self._bytes(end)[:last])
            s = b"\n".join(parts).decode("utf-8", "replace")
        s = " ".join(s.split()) or "?"
        return s if len(s) <= limit else s[:limit - 3] + "..."

    def operator_column(self, node: ast.BinOp) -> tuple[int, int]:
        """(line, column) of a binary operator: the first symbol after the left operand."""
        left = node.left
        lineno = left.end_lineno or node.lineno
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        i = self.column(lineno, left.end_col_offset or 0) - 1
        while i < len(line) and (line[i].isspace() or line[i] == ")"):
            i += 1
        if i >= len(line):
            return node.lineno, self.column(node.lineno, node.col_offset)
        return lineno, i + 1


def check_text(text: object) -> Source:
    if not isinstance(text, str):
        raise InputError(f"an expression must be given as a str, got {type(text).__name__}: "
                         f"{text!r:.60}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is {len(text):,} characters long, more than the "
                         f"limit of {MAX_LENGTH:,}; build large graphs from Var objects "
                         "instead of text", column=MAX_LENGTH + 1)
    src = Source(text)
    if not text.strip():
        raise ParseError("empty expression: write something like x**2 + 1", column=1)
    for where, ch in enumerate(text):
        if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc":
            lineno = text.count("\n", 0, where) + 1
            column = where - (text.rfind("\n", 0, where) + 1) + 1
            raise src.error(f"invalid control character U+{ord(ch):04X}", lineno, column)
    where = text.find("^")
    if where >= 0:
        lineno = text.count("\n", 0, where) + 1
        column = where - (text.rfind("\n", 0, where) + 1) + 1
        raise src.error("'^' is not a power operator: use ** for powers (x**2, not x^2)",
                        lineno, column)
    return src


def syntax_error(src: Source, exc: SyntaxError) -> ParseError:
    """Turn Python's SyntaxError into a ParseError with a message about expressions."""
    unbalanced = _unbalanced(src)
    if unbalanced is not None:
        return unbalanced
    msg = exc.msg or "invalid syntax"
    lineno = exc.lineno or 1
    line = src.lines[lineno - 1] if 0 < lineno <= len(src.lines) else ""
    column = src._shift(lineno, exc.offset or 0) if exc.offset else 0
    if "too many nested" in msg:
        return src.error("the expression is nested too deeply (Python's parser allows "
                         "about 200 levels of parentheses)", lineno, max(column, 1))
    if "Exceeds the limit" in msg:
        return src.error("a number has more than 4300 digits", lineno, max(column, 1))
    if column < 1 or column > len(line):
        return src.error("unexpected end of expression (is an operand missing?)",
                         len(src.lines), len(src.lines[-1]) + 1)
    here = line[column - 1]
    before = line[:column - 1].rstrip()
    if "literal" in msg:
        msg = "invalid number (write 2*x, not 2x, for a product)"
    elif here == "=":
        msg = "'=' is not allowed: give values as keyword arguments, as in parse(text, x=2)"
    elif before and (before[-1].isalnum() or before[-1] in "_)") and (
            here.isalnum() or here in "_("):
        msg = "two terms with no operator between them (write 2*x for a product)"
    elif msg.startswith("invalid syntax"):
        msg = "invalid syntax"
    return src.error(msg, lineno, column)


def _unbalanced(src: Source) -> ParseError | None:
    """A ParseError for the first unbalanced bracket of the text, if any."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int, int]] = []
    for lineno, line in enumerate(src.lines, 1):
        for i, ch in enumerate(line):
            if ch in "([{":
                stack.append((ch, lineno, i + 1))
            elif ch in pairs:
                if not stack:
                    return src.error(f"unbalanced parenthesis: '{ch}' has no matching "
                                     f"'{pairs[ch]}'", lineno, i + 1)
                if stack[-1][0] != pairs[ch]:
                    return src.error(f"unbalanced parenthesis: '{ch}' does not match "
                                     f"'{stack[-1][0]}'", lineno, i + 1)
                stack.pop()
    if stack:
        ch, lineno, column = stack[0]
        return src.error(f"unbalanced parenthesis: '{ch}' is never closed", lineno, column)
    return None
