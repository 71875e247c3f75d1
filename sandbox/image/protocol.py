"""The wire between the trusted grader and the untrusted candidate process (stdlib only).

Frames are a 4-byte big-endian length and a UTF-8 JSON body. Values cross as
*plain data only*: exact ``None``/``bool``/``int``/``float``/``str``/``bytes``/
``bytearray``/``complex`` and exact ``list``/``tuple``/``dict``/``set``/``frozenset``
of them. Subclasses never cross as values (an ``int`` subclass that equals
anything, an object with a lying ``__eq__``): they cross as *handles*, opaque
references that the other side can call or iterate through the wire but never
compare except by identity. The trusted side decodes with ``json.loads`` and the
tag table below, never pickle or eval, so no object of the candidate's making
can exist on the trusted side.

Tags (a JSON object is always a tag, so plain dicts are tagged too):
``{"$f": "inf"|"-inf"|"nan"}`` float, ``{"$t": [...]}`` tuple, ``{"$s": [...]}``
set, ``{"$z": [...]}`` frozenset, ``{"$d": [[k, v], ...]}`` dict, ``{"$b": b64}``
bytes, ``{"$a": b64}`` bytearray, ``{"$c": [re, im]}`` complex, ``{"$x": hex}`` a big int, ``{"$h": id, ...}``
a handle to an object held by the candidate (with ``"$p": value`` when it is an
instance of a subclass of a plain type: its value as the exact base type), ``{"$cb": id}`` a handle to a
callable held by the trusted side.
"""

import base64
import json
import math
import os
import select
import struct
import time

FRAME_LIMIT = 16 * 1024 * 1024  # bytes in one frame: a larger reply is refused, not read
HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed frame of plain data."""


class ChannelClosed(ProtocolError):
    """The other side closed the channel (its process exited or was killed)."""


class FrameTimeout(ProtocolError):
    """No whole frame arrived before the deadline."""


# ------------------------------------------------------------------ framing

def send_frame(fd, obj):
    """Write one frame; ``obj`` must already be JSON-able (see ``Encoder``)."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "surrogatepass")
    if len(body) > FRAME_LIMIT:
        raise ProtocolError(f"frame of {len(body)} bytes is over the {FRAME_LIMIT}-byte limit")
    data = HEADER.pack(len(body)) + body
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def time_left(deadline):
    """Seconds still to wait: ``deadline`` is a monotonic time, or an object whose ``left()``
    decides (the runner's CPU budget of a probe call)."""
    if isinstance(deadline, (int, float)):
        return deadline - time.monotonic()
    return deadline.left()


def _read_exact(fd, n, deadline):
    chunks, got = [], 0
    while got < n:
        while deadline is not None:
            left = time_left(deadline)
            if left <= 0:
                raise FrameTimeout("timed out waiting for the other side")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                break
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_frame(fd, deadline=None, limit=FRAME_LIMIT):
    """Read one frame and parse its JSON; the length is checked before the body is read."""
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if size > limit:
        raise ProtocolError(f"a frame of {size} bytes is over the {limit}-byte limit")
    body = _read_exact(fd, size, deadline)
    try:
        return json.loads(body.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ProtocolError(f"a frame is not valid JSON: {type(exc).__name__}") from None


# ------------------------------------------------------------------ values

PLAIN_SCALARS = (type(None), bool, int, float, str)
PLAIN_BASES = (dict, list, tuple, set, frozenset, bytearray, bytes, str, complex, float, int)
BIG_INT = 1 << 4096


class Encoder:
    """Turns values into tagged JSON; anything not plain goes through ``export``.

    ``export(obj)`` returns the tag for a non-plain object (a handle) or raises
    ``TypeError`` when such objects may not cross at all.
    """

    def __init__(self, export):
        self.export = export

    def encode(self, value):
        try:
            return self._enc(value)
        except RecursionError:
            raise ValueError("value is nested too deeply to cross the sandbox boundary") from None

    def _enc(self, v):
        t = type(v)
        if t is float:
            return v if math.isfinite(v) else {"$f": repr(v)}
        if t is int and not -BIG_INT < v < BIG_INT:
            return {"$x": format(v, "x")}  # hex: linear to parse, and no int/str digit limit
        if t in PLAIN_SCALARS:
            return v
        if t is list:
            return [self._enc(x) for x in v]
        if t is tuple:
            return {"$t": [self._enc(x) for x in v]}
        if t is dict:
            return {"$d": [[self._enc(k), self._enc(x)] for k, x in v.items()]}
        if t is set:
            return {"$s": [self._enc(x) for x in v]}
        if t is frozenset:
            return {"$z": [self._enc(x) for x in v]}
        if t is bytes:
            return {"$b": base64.b64encode(v).decode()}
        if t is bytearray:
            return {"$a": base64.b64encode(bytes(v)).decode()}
        if t is complex:
            return {"$c": [self._enc(v.real), self._enc(v.imag)]}
        return self.export(v)

    def plain_base(self, v):
        """For an instance of a subclass of a plain type (a Counter, a namedtuple, an int that claims
        to equal anything): its value as the exact base type, encoded; None when it cannot be had.

        Which value that is, the object decides (this runs on the candidate's side), so it is only
        ever as good as returning that plain value: the comparison itself happens on the other side."""
        for base in PLAIN_BASES:
            if isinstance(v, base):
                try:
                    if base is dict:
                        value = {k: x for k, x in dict.items(v)}
                    elif base in (int, float, complex, str, bytes):
                        value = base.__new__(base, v) if base is not str else str.__str__(v)
                    else:
                        value = base(base.__iter__(v))
                    return self._enc(value)
                except Exception:
                    return None
        return None


class Decoder:
    """Tagged JSON back to plain values; handles become objects made by ``on_handle``/``on_callback``.

    Everything built here is of an exact builtin type, or whatever the two hooks
    return (the trusted side's own proxy classes). Hashing a decoded set member
    or dict key only ever calls builtin ``__hash__``.
    """

    def __init__(self, on_handle, on_callback):
        self.on_handle = on_handle
        self.on_callback = on_callback

    def decode(self, obj):
        try:
            return self._dec(obj)
        except RecursionError:
            raise ProtocolError("value is nested too deeply") from None
        except (TypeError, ValueError, KeyError, IndexError, OverflowError, base64.binascii.Error) as exc:
            raise ProtocolError(f"malformed value: {type(exc).__name__}: {str(exc)[:200]}") from None

    def _dec(self, o):
        t = type(o)
        if t in PLAIN_SCALARS:
            return o
        if t is list:
            return [self._dec(x) for x in o]
        if t is not dict or len(o) < 1:
            raise ValueError("unknown value shape")
        if "$t" in o:
            return tuple(self._dec(x) for x in _seq(o["$t"]))
        if "$d" in o:
            out = {}
            for pair in _seq(o["$d"]):
                key, value = _seq(pair)
                out[self._dec(key)] = self._dec(value)
            return out
        if "$s" in o:
            return {self._dec(x) for x in _seq(o["$s"])}
        if "$z" in o:
            return frozenset(self._dec(x) for x in _seq(o["$z"]))
        if "$f" in o:
            if o["$f"] not in ("inf", "-inf", "nan"):
                raise ValueError("bad float tag")
            return float(o["$f"])
        if "$b" in o:
            return base64.b64decode(_str(o["$b"]), validate=True)
        if "$a" in o:
            return bytearray(base64.b64decode(_str(o["$a"]), validate=True))
        if "$c" in o:
            re_, im = _seq(o["$c"])
            if type(re_) not in (int, float) or type(im) not in (int, float):
                raise ValueError("bad complex tag")
            return complex(re_, im)
        if "$x" in o:
            return int(_str(o["$x"]), 16)
        if "$p" in o:  # a subclass of a plain type: its plain value, plus a handle for the rest
            return self.on_handle(o, self._dec(o["$p"]))
        if "$h" in o:
            return self.on_handle(o)
        if "$cb" in o:
            return self.on_callback(o)
        raise ValueError("unknown tag")


def _seq(x):
    if type(x) is not list:
        raise ValueError("expected a list")
    return x


def _str(x):
    if type(x) is not str:
        raise ValueError("expected a string")
    return x


def canonical_repr(value, limit=1 << 20):
    """A repr of plain data that does not depend on hash order (sets sorted), for fingerprints."""
    def rep(v):
        t = type(v)
        if t in (set, frozenset):
            inner = ", ".join(sorted(rep(x) for x in v))
            return ("{" + inner + "}") if t is set and v else f"{t.__name__}({{{inner}}})"
        if t is list:
            return "[" + ", ".join(rep(x) for x in v) + "]"
        if t is tuple:
            return "(" + ", ".join(rep(x) for x in v) + ("," if len(v) == 1 else "") + ")"
        if t is dict:
            return "{" + ", ".join(f"{rep(k)}: {rep(x)}" for k, x in v.items()) + "}"
        return repr(v)
    try:
        return rep(value)[:limit]
    except RecursionError:
        return "<nested too deeply>"
