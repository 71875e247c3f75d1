"""The grader's end of the wire: the candidate's objects as proxies, its exceptions as stand-ins (stdlib only).

Everything the candidate returns arrives as plain data (protocol.py); what is not
plain stays in the candidate's process and is reached through a ``RemoteObject``,
which is never compared except by identity.
"""

import os
import sys
import time

import protocol
from common import MESSAGE_LIMIT, describe

# stdlib modules the grader may import for itself when the candidate's module names them
IMPORT_DENY = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "webbrowser", "pydoc"}

class CandidateGone(Exception):
    """The candidate's process ended or broke the protocol: no more answers will come."""


class CandidateError(Exception):
    """The candidate raised something that is not an ordinary ``Exception`` (SystemExit, a crash)."""


class RemoteException(Exception):
    """Base of the stand-ins for exception classes the candidate defined."""


_remote_exceptions = {}


def remote_exception_class(qualified):
    """One stand-in class per qualified name, so ``pytest.raises(solution.Err)`` matches a raised ``Err``."""
    qualified = str(qualified)[:200]
    cls = _remote_exceptions.get(qualified)
    if cls is None:
        module, _, name = qualified.rpartition(".")
        cls = type(name or "RemoteException", (RemoteException,), {"__module__": module or "solution"})
        _remote_exceptions[qualified] = cls
    return cls


class RemoteObject:
    """An object that stays in the candidate's process: usable through the wire, compared only by identity.

    ``==`` never asks the candidate (an always-equal ``__eq__`` is the oldest
    cheat); comparing one counts as an opaque comparison, named in the test's message.
    """

    __slots__ = ("_link", "_id", "_type", "_module", "__weakref__")

    def __init__(self, link, ident, type_name, module=None):
        self._link = link
        self._id = ident
        self._type = type_name
        self._module = module  # for a module: the name it says it has (no round trip to ask)

    def __call__(self, *args, **kwargs):
        return self._link.call(self._id, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name not in ("__name__", "__qualname__", "__doc__"):
            raise AttributeError(name)
        return self._link.op("getattr", self._id, name=name)

    def __iter__(self):
        return self._link.op("iter", self._id)

    def __next__(self):
        return self._link.op("next", self._id)

    def __len__(self):
        value = self._link.op("len", self._id)
        if type(value) is not int or value < 0:
            raise TypeError("len() of the candidate's object is not a non-negative int")
        return value

    def __bool__(self):
        return self._link.op("bool", self._id) is True

    def __getitem__(self, key):
        return self._link.op("getitem", self._id, key=self._link.encoder.encode(key))

    def __contains__(self, key):
        return self._link.op("contains", self._id, key=self._link.encoder.encode(key)) is True

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, RemoteObject):  # two of the candidate's own objects: plain data cannot decide
            self._link.opaque.append(self._type)
        return NotImplemented  # against the test's own values: not equal, decided here

    def __ne__(self, other):
        if other is self:
            return False
        if isinstance(other, RemoteObject):
            self._link.opaque.append(self._type)
        return NotImplemented

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<candidate's {self._type} object>"


_plain_proxies = {}


def with_remote(value, remote):
    """The plain ``value`` of a candidate's Counter, namedtuple, int subclass...: compared as that
    exact value by the base type's own methods, while other attributes (``.x``, ``.most_common()``)
    go to the candidate's object."""
    base = type(value)
    if base is bool or value is None:
        return value
    cls = _plain_proxies.get(base)
    if cls is None:
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(object.__getattribute__(self, "_remote"), name)
        cls = type(f"Candidates{base.__name__.title()}", (base,), {"__getattr__": __getattr__})
        _plain_proxies[base] = cls
    out = cls(value)
    out._remote = remote
    return out


RETURNED_KEPT = 3  # values a failing test's message may quote


class Link:
    """The trusted end of the channel: requests to the candidate; callbacks served while waiting."""

    def __init__(self, fd, call_deadline=None):
        self.fd = fd
        self.callbacks = {}
        self.encoder = protocol.Encoder(self._export)
        self.decoder = protocol.Decoder(self._handle, self._callback)
        self.dead = None
        self.closed = False
        self.opaque = []  # type names of the candidate's objects compared with ==, in the current test
        self.uncrossable = []  # type names of the test's objects that could not cross, in the current test
        self.returned = []  # what the candidate's calls returned in the current test (the first few)
        self.call_deadline = call_deadline

    def needs_live_objects(self):
        """Whether the current test touched something the trusted side cannot judge on plain data."""
        return bool(self.opaque or self.uncrossable)

    def reset_test(self):
        self.opaque.clear()
        self.uncrossable.clear()
        self.returned.clear()

    def in_process(self, msg):
        """Run one test in the candidate's process (``check``/``pytest`` op): (outcome, message)."""
        try:
            self.value(self.request(msg))
            return "passed", ""
        except CandidateGone as exc:
            return "error", f"the candidate stopped answering: {exc}"
        except Exception as exc:
            return "failed", describe(exc)

    def _export(self, obj):
        if isinstance(obj, RemoteObject):
            return {"$h": obj._id}
        if callable(obj):
            ident = len(self.callbacks) + 1
            self.callbacks[ident] = obj
            return {"$cb": ident}
        self.uncrossable.append(type(obj).__name__)
        raise TypeError(f"a {type(obj).__name__} cannot be passed to the candidate: only plain data, "
                        "callables and the candidate's own objects cross the sandbox boundary")

    def _handle(self, tag, plain=None):
        if type(tag.get("$h")) is not int:
            raise ValueError("bad handle")
        if tag.get("exc"):
            return remote_exception_class(tag["exc"])
        module = tag.get("mod") if type(tag.get("mod")) is str else None
        remote = RemoteObject(self, tag["$h"], str(tag.get("type", "object"))[:100], module)
        if "$p" in tag:
            return with_remote(plain, remote)
        return remote

    def _callback(self, tag):
        try:
            return self.callbacks[tag["$cb"]]
        except (KeyError, TypeError):
            raise ValueError("unknown callback") from None

    def close(self):
        """Close our end (a warm runner serves many batches: no descriptor may pile up)."""
        if not self.closed:
            self.closed = True
            self.dead = self.dead or "closed"
            os.close(self.fd)

    def request(self, msg, timeout=None):
        """Send ``msg`` and return the reply frame, serving the candidate's callbacks meanwhile."""
        if self.dead:
            raise CandidateGone(self.dead)
        deadline = timeout if hasattr(timeout, "left") else time.monotonic() + timeout if timeout else None
        try:
            protocol.send_frame(self.fd, msg)
            while True:
                reply = protocol.recv_frame(self.fd, deadline)
                if type(reply) is dict and "cb" in reply and "op" not in reply:
                    self._serve_callback(reply)
                    continue
                if type(reply) is not dict:
                    raise protocol.ProtocolError("a reply is not an object")
                return reply
        except protocol.FrameTimeout:
            self.dead = "timed out"
            raise
        except (protocol.ProtocolError, OSError) as exc:
            self.dead = ("the candidate's process ended" if isinstance(exc, (protocol.ChannelClosed, BrokenPipeError))
                         else f"the candidate broke the protocol: {exc}")
            raise CandidateGone(self.dead) from None

    def _serve_callback(self, req):
        try:
            fn = self.callbacks[req["cb"]]
            args = self.decoder.decode(req.get("args", []))
            kwargs = self.decoder.decode(req.get("kwargs", {"$d": []}))
            if type(args) is not list or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                raise ValueError("bad callback arguments")
            value = fn(*args, **kwargs)
            reply = {"ok": self.encoder.encode(value)}
        except protocol.ProtocolError:
            raise
        except Exception as exc:
            reply = {"err": {"type": type(exc).__name__, "msg": str(exc)[:MESSAGE_LIMIT]}}
        protocol.send_frame(self.fd, reply)

    def value(self, reply):
        """The decoded value of an ``ok`` reply, or the candidate's exception raised here."""
        if "ok" in reply:
            return self.decoder.decode(reply["ok"])
        err = reply.get("err")
        if type(err) is not dict:
            raise CandidateGone("the candidate broke the protocol: a reply without ok or err")
        raise exception_from(err)

    def load(self, code, module=None):
        """Run the candidate's code over there; its public names, decoded (functions as proxies)."""
        reply = self.request({"op": "load", "code": code, "module": module})
        if reply.get("compile") and type(reply.get("err")) is dict:
            raise CompileFailed(reply["err"])
        names = self.value(reply)
        if type(names) is not dict:
            raise CandidateGone("the candidate broke the protocol: load did not answer with names")
        return {k: v for k, v in names.items() if type(k) is str}

    def call(self, ident, args, kwargs):
        args = list(args)
        reply = self.request({"op": "call", "target": ident, "args": self.encoder.encode(args),
                              "kwargs": self.encoder.encode(dict(kwargs))}, self.call_deadline)
        result = self.value(reply)
        for pos, new in _mutations(reply.get("mut"), self.decoder):
            if pos < len(args):
                copy_back(args[pos], new)
        if len(self.returned) < RETURNED_KEPT:
            self.returned.append(result)
        return result

    def op(self, op_name, ident, **fields):
        return self.value(self.request({"op": op_name, "target": ident, **fields}))


class CompileFailed(Exception):
    """The candidate's code does not compile."""

    def __init__(self, err):
        super().__init__(f"{err.get('type', 'SyntaxError')}: {err.get('msg', '')}"[:MESSAGE_LIMIT])


def _mutations(raw, decoder):
    if type(raw) is not list:
        return []
    out = []
    for item in raw[:64]:
        if type(item) is list and len(item) == 2 and type(item[0]) is int:
            out.append((item[0], decoder.decode(item[1])))
    return out


def copy_back(original, new):
    """The candidate mutated a list/dict/set/bytearray argument: mirror the change on the caller's object."""
    if type(original) is list and type(new) is list:
        original[:] = new
    elif type(original) is dict and type(new) is dict:
        original.clear()
        original.update(new)
    elif type(original) is set and type(new) is set:
        original.clear()
        original.update(new)
    elif type(original) is bytearray and type(new) is bytearray:
        original[:] = new


def exception_from(err):
    """The trusted stand-in for an exception the candidate raised."""
    import builtins
    name = str(err.get("type", "Exception"))[:100]
    module = str(err.get("module", ""))[:100]
    msg = str(err.get("msg", ""))[:MESSAGE_LIMIT]
    cls = getattr(builtins, name, None) if module == "builtins" else None
    if isinstance(cls, type) and issubclass(cls, Exception) and cls not in (StopAsyncIteration,):
        try:
            return cls(msg) if msg else cls()
        except Exception:
            return CandidateError(f"{name}: {msg}")
    if name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "Crash", "ResultTooLarge") or module == "builtins":
        return CandidateError(f"{name}: {msg}" if msg else name)
    return remote_exception_class(f"{module}.{name}")(msg)


def trusted_names(names, entry_point=None, taken=()):
    """The candidate's names as the grader sees them: plain copies, proxies, real stdlib modules.

    A module the candidate imported is imported here by name when it is standard
    library (the test's ``math.fabs`` is the real one); ``taken`` names (the
    trusted prelude's, the builtins) are never replaced, except the entry point.
    """
    out = {}
    for name, value in names.items():
        if name in taken and name != entry_point:
            continue
        if isinstance(value, RemoteObject) and name != entry_point:
            module = _stdlib_module(value)
            if module is not None:
                value = module
        out[name] = value
    return out


def _stdlib_module(remote):
    """The grader's own import of a standard-library module the candidate imported, else None."""
    name = remote._module
    if remote._type != "module" or not name:
        return None
    top = name.split(".")[0]
    if top not in sys.stdlib_module_names or top in IMPORT_DENY:
        return None
    try:
        import importlib
        return importlib.import_module(name)
    except Exception:
        return None


