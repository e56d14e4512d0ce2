"""Reproducible draws and a fixed clock for one app, so the same answer synthesizes the same way.

Answers name resources with `uuid.uuid4()`, `random.choices(...)` or `datetime.now()`; left
alone, every synth of such an answer yields other resource addresses and other findings. While
`reproducible(seed, clock)` is active:

- the module-level functions of `random` are seeded with `seed`;
- `uuid.uuid4`/`uuid.uuid1`, `secrets.token_*`, `secrets.choice`/`randbelow`, `os.urandom` and
  `random.SystemRandom` draw from one `random.Random(seed)`;
- the names `tempfile` makes up come from a `random.Random(seed)` of their own;
- `time.time`/`time_ns` (and the no-argument forms of `localtime`, `gmtime`, `ctime`, `asctime`,
  `strftime`), `datetime.datetime.now/utcnow/today` and `datetime.date.today` give `clock`.

The `datetime` module's `datetime` and `date` attributes are replaced by subclasses for the
duration, so an answer that runs `from datetime import datetime` sees the fixed clock too. The
stand-ins fall back to the real clock and real randomness once the context ends: a module the
app imported that outlives it (a toolchain package loaded for the first time by the app) keeps
working normally. Instances and `isinstance` checks behave as the real classes' do, which the
jsii kernel relies on when it sends a date to node.

`seed_for(files, archives)` is how the worker picks the seed: a digest of the answer's content,
so one answer always gets the same seed and two different answers almost never share one.

Standard library only: this runs inside the sandbox.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

REAL_DATETIME = dt.datetime
REAL_DATE = dt.date
# Bits of the digest kept as the seed: small enough to read and type, far too many to collide.
SEED_BITS = 63


def seed_for(files: Mapping[str, str], archives: Mapping[str, str] | None = None) -> int:
    """The seed of an answer: a digest of its file paths and contents (binary archives included)."""
    content = json.dumps([sorted(files.items()), sorted((archives or {}).items())], separators=(",", ":"))
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << SEED_BITS) - 1)


def clock_of(text: str) -> REAL_DATETIME:
    """The instant an ISO date or date-time stands for, in UTC (a bare date is its midnight)."""
    moment = REAL_DATETIME.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


@dataclass
class _State:
    """What the stand-ins read: None outside `reproducible`, so they act as the real ones."""

    rng: random.Random
    epoch_ns: int


_ACTIVE: _State | None = None


# --------------------------------------------------------------------------------------------
# the stand-ins


def _epoch() -> float | None:
    return None if _ACTIVE is None else _ACTIVE.epoch_ns / 1e9


def _urandom(size: int) -> bytes:
    return _REAL["os.urandom"](size) if _ACTIVE is None else _ACTIVE.rng.randbytes(size)


def _uuid4() -> uuid.UUID:
    if _ACTIVE is None:
        return _REAL["uuid.uuid4"]()
    return uuid.UUID(int=_ACTIVE.rng.getrandbits(128), version=4)


def _uuid1(node: int | None = None, clock_seq: int | None = None) -> uuid.UUID:
    if _ACTIVE is None:
        return _REAL["uuid.uuid1"](node, clock_seq)
    # uuid1 keeps the last timestamp it gave in a module global; building the fields here
    # keeps one app's draws from depending on what an earlier app asked for.
    rng = _ACTIVE.rng
    stamp = _ACTIVE.epoch_ns // 100 + 0x01B21DD213814000
    clock_seq = rng.getrandbits(14) if clock_seq is None else clock_seq
    node = rng.getrandbits(48) | (1 << 40) if node is None else node
    fields = (
        stamp & 0xFFFFFFFF,
        (stamp >> 32) & 0xFFFF,
        (stamp >> 48) & 0x0FFF,
        (clock_seq >> 8) & 0x3F,
        clock_seq & 0xFF,
        node,
    )
    return uuid.UUID(fields=fields, version=1)


def _token_bytes(nbytes: int | None = None) -> bytes:
    if _ACTIVE is None:
        return _REAL["secrets.token_bytes"](nbytes)
    return _ACTIVE.rng.randbytes(secrets.DEFAULT_ENTROPY if nbytes is None else nbytes)


def _token_hex(nbytes: int | None = None) -> str:
    return _token_bytes(nbytes).hex()


def _token_urlsafe(nbytes: int | None = None) -> str:
    import base64

    return base64.urlsafe_b64encode(_token_bytes(nbytes)).rstrip(b"=").decode("ascii")


def _choice(seq: Any) -> Any:
    return _REAL["secrets.choice"](seq) if _ACTIVE is None else _ACTIVE.rng.choice(seq)


def _randbelow(exclusive_upper_bound: int) -> int:
    if _ACTIVE is None:
        return _REAL["secrets.randbelow"](exclusive_upper_bound)
    if exclusive_upper_bound <= 0:
        raise ValueError("Upper bound must be positive.")
    return _ACTIVE.rng.randrange(exclusive_upper_bound)


def _time() -> float:
    now = _epoch()
    return _REAL["time.time"]() if now is None else now


def _time_ns() -> int:
    return _REAL["time.time_ns"]() if _ACTIVE is None else _ACTIVE.epoch_ns


def _at_now(name: str) -> Any:
    def call(*args: Any) -> Any:
        real = _REAL[f"time.{name}"]
        # Only the form without a time reads the clock; strftime's first argument is its format.
        if _ACTIVE is None or len(args) > (1 if name == "strftime" else 0):
            return real(*args)
        now = _ACTIVE.epoch_ns / 1e9
        return real(*args, _REAL["time.localtime"](now) if name in ("asctime", "strftime") else now)

    call.__name__ = name
    return call


class _ClassMeta(type):
    """`isinstance` and `issubclass` answer as for the real class the stand-in replaces."""

    _real: type

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._real)


class FixedDate(REAL_DATE, metaclass=_ClassMeta):
    """`datetime.date` whose `today()` is the fixed clock's date while one is active."""

    _real = REAL_DATE

    @classmethod
    def today(cls) -> Any:
        now = _epoch()
        return REAL_DATE.today() if now is None else REAL_DATETIME.fromtimestamp(now).date()


class FixedDatetime(REAL_DATETIME, metaclass=_ClassMeta):
    """`datetime.datetime` whose `now()`, `utcnow()` and `today()` read the active fixed clock."""

    _real = REAL_DATETIME

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Any:
        now = _epoch()
        return REAL_DATETIME.now(tz) if now is None else REAL_DATETIME.fromtimestamp(now, tz)

    @classmethod
    def utcnow(cls) -> Any:
        now = _epoch()
        if now is None:
            return REAL_DATETIME.now(dt.UTC).replace(tzinfo=None)
        return REAL_DATETIME.fromtimestamp(now, dt.UTC).replace(tzinfo=None)

    @classmethod
    def today(cls) -> Any:
        return cls.now()


# (module, attribute) -> stand-in; `_REAL` keeps the originals, taken when this module loads.
_PATCHES: dict[tuple[Any, str], Any] = {
    (os, "urandom"): _urandom,
    (uuid, "uuid4"): _uuid4,
    (uuid, "uuid1"): _uuid1,
    (secrets, "token_bytes"): _token_bytes,
    (secrets, "token_hex"): _token_hex,
    (secrets, "token_urlsafe"): _token_urlsafe,
    (secrets, "choice"): _choice,
    (secrets, "randbelow"): _randbelow,
    (random, "_urandom"): _urandom,  # what random.SystemRandom draws from
    (time, "time"): _time,
    (time, "time_ns"): _time_ns,
    **{(time, name): _at_now(name) for name in ("localtime", "gmtime", "ctime", "asctime", "strftime")},
    (dt, "datetime"): FixedDatetime,
    (dt, "date"): FixedDate,
}
_REAL: dict[str, Any] = {f"{m.__name__}.{name}": getattr(m, name) for (m, name) in _PATCHES}


@contextlib.contextmanager
def reproducible(seed: int, clock: str) -> Iterator[None]:
    """Seeded randomness and a fixed clock for the body; everything is put back on exit."""
    global _ACTIVE
    if _ACTIVE is not None:
        raise RuntimeError("reproducible() does not nest")
    moment = clock_of(clock)
    state = random.getstate()
    saved = {(module, name): getattr(module, name) for module, name in _PATCHES}
    _ACTIVE = _State(rng=random.Random(seed), epoch_ns=_epoch_ns(moment))
    random.seed(seed)
    names = tempfile._name_sequence  # type: ignore[attr-defined]
    try:
        for (module, name), stand_in in _PATCHES.items():
            setattr(module, name, stand_in)
        tempfile._name_sequence = _temp_names(seed)  # type: ignore[attr-defined]
        yield
    finally:
        for (module, name), original in saved.items():
            setattr(module, name, original)
        tempfile._name_sequence = names  # type: ignore[attr-defined]
        _ACTIVE = None
        random.setstate(state)


def _temp_names(seed: int) -> Any:
    # tempfile draws its names from a private Random() seeded by the OS, out of reach of
    # os.urandom; a sequence primed with our own generator (for this process) names the same
    # folders on every run. Its own stream: an app's temp folders do not shift its other draws.
    sequence = tempfile._RandomNameSequence()  # type: ignore[attr-defined]
    sequence._rng = random.Random(seed ^ 0x7E3F)
    sequence._rng_pid = os.getpid()
    return sequence


def _epoch_ns(moment: REAL_DATETIME) -> int:
    delta = moment - REAL_DATETIME(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def set_mtimes(root: str, clock: str) -> None:
    """Give every file and folder under `root` the clock as its times: archives built from
    them (a Lambda zip, a cdktf asset) then hash the same on every run."""
    stamp = _epoch_ns(clock_of(clock))
    for folder, dirs, files in os.walk(root):
        for name in files + dirs:
            with contextlib.suppress(OSError):
                os.utime(os.path.join(folder, name), ns=(stamp, stamp), follow_symlinks=False)
    with contextlib.suppress(OSError):
        os.utime(root, ns=(stamp, stamp))
