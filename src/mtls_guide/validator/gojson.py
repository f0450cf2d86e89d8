"""Go's ``json.Unmarshal(data, &map[string]interface{}{})`` error text, for the Secret types whose
content the API server parses (kubernetes.io/dockercfg, kubernetes.io/dockerconfigjson).

A port of the checks of Go's encoding/json scanner (``scanner.go``), so that a broken
``.dockerconfigjson`` is reported with the words the server uses: ``invalid character 'x'
looking for beginning of value``, ``unexpected end of JSON input``, ``json: cannot unmarshal
array into Go value of type map[string]interface {}``. One pass over the bytes, no recursion.
"""

from __future__ import annotations

from mtls_guide.validator.errors import go_quote

_SPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_LITERALS = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}
_TOP_TYPES = {ord("["): "array", ord('"'): "string", ord("t"): "bool", ord("f"): "bool"}
MAP_TYPE = "map[string]interface {}"


class _Syntax(Exception):
    pass


def _quote_char(byte: int) -> str:
    """encoding/json's quoteChar."""
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    return "'" + go_quote(chr(byte))[1:-1] + "'"


def _invalid(byte: int, context: str) -> _Syntax:
    return _Syntax(f"invalid character {_quote_char(byte)} {context}")


class _Scanner:
    def __init__(self, data: bytes) -> None:
        self.data, self.i = data, 0

    def peek(self) -> int:
        if self.i >= len(self.data):
            raise _Syntax("unexpected end of JSON input")
        return self.data[self.i]

    def skip_space(self) -> int:
        while self.peek() in _SPACE:
            self.i += 1
        return self.data[self.i]

    def value(self, context: str = "looking for beginning of value") -> None:
        stack: list[int] = []  # open containers: ord("{") or ord("[")
        byte = self.skip_space()
        while True:
            if byte == ord("{"):
                self.i += 1
                if self.skip_space() == ord("}"):
                    self.i += 1
                else:
                    stack.append(byte)
                    self.key()
                    byte = self.skip_space()
                    continue
            elif byte == ord("["):
                self.i += 1
                if self.skip_space() == ord("]"):
                    self.i += 1
                else:
                    stack.append(byte)
                    byte = self.skip_space()
                    continue
            else:
                self.scalar(byte, context)
            # after a value: close containers or move to the next element
            while stack:
                byte = self.skip_space()
                if stack[-1] == ord("{"):
                    if byte == ord("}"):
                        stack.pop()
                        self.i += 1
                        continue
                    if byte != ord(","):
                        raise _invalid(byte, "after object key:value pair")
                    self.i += 1
                    self.skip_space()
                    self.key()
                else:
                    if byte == ord("]"):
                        stack.pop()
                        self.i += 1
                        continue
                    if byte != ord(","):
                        raise _invalid(byte, "after array element")
                    self.i += 1
                break
            if not stack:
                return
            byte = self.skip_space()
            context = "looking for beginning of value"

    def key(self) -> None:
        byte = self.skip_space()
        if byte != ord('"'):
            raise _invalid(byte, "looking for beginning of object key string")
        self.string()
        byte = self.skip_space()
        if byte != ord(":"):
            raise _invalid(byte, "after object key")
        self.i += 1

    def scalar(self, byte: int, context: str) -> None:
        if byte == ord('"'):
            self.string()
        elif byte == ord("-") or byte in _DIGITS:
            self.number()
        elif byte in _LITERALS:
            literal = _LITERALS[byte]
            for expected in literal:
                got = self.peek()
                if got != expected:
                    name = literal.decode()
                    raise _invalid(got, f"in literal {name} (expecting {_quote_char(expected)})")
                self.i += 1
        else:
            raise _invalid(byte, context)

    def string(self) -> None:
        self.i += 1  # the opening quote
        while True:
            byte = self.peek()
            self.i += 1
            if byte == ord('"'):
                return
            if byte < 0x20:
                raise _invalid(byte, "in string literal")
            if byte == ord("\\"):
                escape = self.peek()
                self.i += 1
                if escape == ord("u"):
                    for _ in range(4):
                        if self.peek() not in _HEX:
                            raise _invalid(self.peek(), "in \\u hexadecimal character escape")
                        self.i += 1
                elif escape not in b'bfnrt\\/"':
                    raise _invalid(escape, "in string escape code")

    def digits(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in _DIGITS:
            self.i += 1

    def number(self) -> None:
        if self.peek() == ord("-"):
            self.i += 1
            if self.peek() not in _DIGITS:
                raise _invalid(self.peek(), "in numeric literal")
        if self.peek() == ord("0"):
            self.i += 1
        else:
            self.digits()
        if self.i < len(self.data) and self.data[self.i] == ord("."):
            self.i += 1
            if self.peek() not in _DIGITS:
                raise _invalid(self.peek(), "after decimal point in numeric literal")
            self.digits()
        if self.i < len(self.data) and self.data[self.i] in b"eE":
            self.i += 1
            if self.peek() in b"+-":
                self.i += 1
            if self.peek() not in _DIGITS:
                raise _invalid(self.peek(), "in exponent of numeric literal")
            self.digits()


def unmarshal_map_error(data: bytes) -> str | None:
    """The error of ``json.Unmarshal(data, &map[string]interface{}{})``, or None if it succeeds."""
    scanner = _Scanner(data)
    try:
        scanner.value()
        while scanner.i < len(data):
            if data[scanner.i] not in _SPACE:
                raise _invalid(data[scanner.i], "after top-level value")
            scanner.i += 1
    except _Syntax as exc:
        return str(exc)
    first = data.lstrip(_SPACE)[0]
    if first in (ord("{"), ord("n")):  # an object, or null (which leaves the map alone)
        return None
    kind = _TOP_TYPES.get(first, "number")
    return f"json: cannot unmarshal {kind} into Go value of type {MAP_TYPE}"
