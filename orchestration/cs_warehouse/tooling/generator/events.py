"""The product event log, drawn one reporting day at a time with vectorised numpy (no per-event Python).

Partitioning rule: an event is written to `dt=<JST date of receivedAt>`, the day the collector received it,
as a collector that appends to today's file would. Late events (1-5 days) therefore sit in a later partition
than their `timestamp`, and so do the events of sessions that cross midnight JST. Events received after the
export day are not written at all (they have not arrived yet).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import jpholiday
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .catalog import EV, EVENT_NAMES, FEATURE_MIN_TIER, FEATURE_WEIGHTS, FEATURES, PROP, PROPERTY_TEMPLATES
from .product import ProductModel
from .timeutil import DAY

SECOND_US = 1_000_000
DAY_US = 86_400 * SECOND_US
JST_OFFSET_US = 9 * 3600 * SECOND_US
EPOCH = date(1970, 1, 1)

EVENTS_PER_SESSION = 6.0
WEB_SESSION_SHARE = 0.6  # sessions from the web SDK carry a sessionId; mobile/server calls do not
SYSTEM_EVENTS_PER_USER_DAY_SHARE = 0.05  # system events per live user-day, as a share of the user rate
LATE_SHARE = 0.01
LATE_DAYS = (1, 5)
LOGIN_AT_SESSION_START = 0.8

# In-session event mix after the first event (codes from catalog.EVENT_NAMES).
_SESSION_MIX = (
    (EV["Page Viewed"], 0.28),
    (EV["Feature Used"], 0.52),
    (EV["Report Created"], 0.08),
    (EV["Search Performed"], 0.07),
    (EV["Comment Added"], 0.05),
)
_MIX_CODES = np.array([c for c, _ in _SESSION_MIX], dtype=np.int8)
_MIX_CUM = np.cumsum([p for _, p in _SESSION_MIX])
_MIX_CUM[-1] = 1.0

SCHEMA = pa.schema(
    [
        ("messageId", pa.string()),
        ("userId", pa.string()),
        ("groupId", pa.string()),
        ("event", pa.string()),
        ("feature", pa.string()),
        ("sessionId", pa.string()),
        ("isSystem", pa.bool_()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("receivedAt", pa.timestamp("us", tz="UTC")),
        ("properties", pa.string()),
    ]
)

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SALT_MESSAGE_HI = np.uint64(0x5851F42D4C957F2D)
_SALT_MESSAGE_LO = np.uint64(0x14057B7EF767814F)
_SALT_SESSION = np.uint64(0x2545F4914F6CDD1D)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64, so distinct keys always give distinct ids."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _hex16(x: np.ndarray) -> np.ndarray:
    """uint64 values -> (n, 16) matrix of lowercase hex ASCII codes."""
    b = x.astype(">u8").view(np.uint8).reshape(-1, 8)
    out = np.empty((len(x), 16), dtype=np.uint8)
    out[:, 0::2] = _HEX[b >> 4]
    out[:, 1::2] = _HEX[b & 15]
    return out


def _fixed_width_strings(mat: np.ndarray) -> pa.Array:
    """(n, w) ASCII matrix -> arrow string array without a Python object per value."""
    n, w = mat.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(mat)))


def message_ids(hi: np.ndarray, lo: np.ndarray) -> pa.Array:
    """UUID-shaped (8-4-4-4-12) ids from two uint64 halves."""
    h, low = _hex16(hi), _hex16(lo)
    out = np.full((len(hi), 36), ord("-"), dtype=np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18] = h[:, 0:8], h[:, 8:12], h[:, 12:16]
    out[:, 19:23], out[:, 24:36] = low[:, 0:4], low[:, 4:16]
    return _fixed_width_strings(out)


def session_ids(keys: np.ndarray) -> pa.Array:
    """'ses_' + 16 hex for keys >= 0, null where the key is negative (no SDK session)."""
    has = keys >= 0
    mat = np.empty((len(keys), 20), dtype=np.uint8)
    mat[:, :4] = np.frombuffer(b"ses_", dtype=np.uint8)
    mat[:, 4:] = _hex16(_mix64(keys.astype(np.uint64) ^ _SALT_SESSION))
    arr = _fixed_width_strings(mat)
    return pc.if_else(pa.array(has), arr, pa.scalar(None, pa.string()))


def day_factors(ws: date, n_days: int) -> np.ndarray:
    """Weekly seasonality and Japanese holidays: weekends and holidays are quiet, New Year quietest."""
    out = np.empty(n_days, dtype=np.float32)
    for i in range(n_days):
        d = ws + DAY * i
        if (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3):
            out[i] = 0.15
        elif jpholiday.is_holiday(d):
            out[i] = 0.22
        else:
            out[i] = (1.0, 1.0, 1.0, 1.0, 0.95, 0.18, 0.10)[d.weekday()]
    return out


@dataclass
class Batch:
    """One day's events as parallel numpy arrays (user -1 = missing, n_users = unknown user)."""

    user: np.ndarray
    account: np.ndarray
    code: np.ndarray
    feature: np.ndarray
    prop: np.ndarray
    session: np.ndarray
    ts: np.ndarray
    recv: np.ndarray
    msg_hi: np.ndarray
    msg_lo: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, idx: np.ndarray) -> Batch:
        return Batch(*(getattr(self, f.name)[idx] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Batch]) -> Batch:
        return Batch(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Batch)))


class EventStream:
    """Draws the events of each day of a ProductModel."""

    def __init__(self, model: ProductModel, seed: int, events_per_user_day: float) -> None:
        self.m = model
        self.seed = seed
        self.rate = events_per_user_day
        self.factors = day_factors(model.window_start, model.n_days)
        self.first_day_us = (model.window_start - EPOCH).days * DAY_US - JST_OFFSET_US
        bounds = np.searchsorted(model.milestones["day"], np.arange(model.n_days + 1))
        self._milestone_bounds = bounds
        n_users = len(model.user_ids)
        self.user_array = pa.array([*model.user_ids, "usr_9999999"], type=pa.string())
        self.account_array = pa.array(model.account_ids, type=pa.string())
        self.n_users = n_users
        self._feature_cum = self._feature_cumulative()

    @staticmethod
    def _feature_cumulative() -> list[tuple[np.ndarray, np.ndarray]]:
        """Per core tier rank: (feature codes it may use, cumulative pick weights)."""
        out = []
        for rank in range(4):
            codes = np.array([i for i, f in enumerate(FEATURES) if FEATURE_MIN_TIER[f] <= rank], dtype=np.int8)
            w = np.array([FEATURE_WEIGHTS[FEATURES[c]] for c in codes])
            cum = np.cumsum(w / w.sum())
            cum[-1] = 1.0
            out.append((codes, cum))
        return out

    def day_start_us(self, day: int) -> int:
        return self.first_day_us + day * DAY_US

    def draw(self, day: int) -> Batch:
        rng = np.random.default_rng([self.seed, 0xE7, day])
        m = self.m
        activity = m.activity[day]
        alive = (m.user_created_day <= day) & (day < m.user_deactivated_day)
        users = np.flatnonzero(alive & (activity[m.user_account] > 0))
        parts = [
            self._sessions(rng, day, users),
            self._system_events(rng, day, users),
            self._milestones(rng, day),
        ]
        batch = Batch.concat(parts)
        n = len(batch)
        keys = (np.uint64(day) << np.uint64(40)) | np.arange(n, dtype=np.uint64)
        batch.msg_hi = _mix64(keys ^ _SALT_MESSAGE_HI ^ np.uint64(self.seed))
        batch.msg_lo = _mix64(keys ^ _SALT_MESSAGE_LO ^ np.uint64(self.seed))
        delay = np.minimum(rng.lognormal(np.log(1.5), 1.0, n), 300.0) * SECOND_US
        late = rng.random(n) < LATE_SHARE
        delay[late] += rng.uniform(LATE_DAYS[0], LATE_DAYS[1], int(late.sum())) * DAY_US
        batch.recv = batch.ts + delay.astype(np.int64)
        return batch

    def _empty(self) -> Batch:
        z = np.zeros(0, dtype=np.int64)
        return Batch(
            z,
            z,
            z.astype(np.int8),
            z.astype(np.int8),
            z.astype(np.int8),
            z,
            z,
            z,
            z.astype(np.uint64),
            z.astype(np.uint64),
        )

    def _sessions(self, rng: np.random.Generator, day: int, users: np.ndarray) -> Batch:
        m = self.m
        acct_of_user = m.user_account[users]
        lam = self.rate * self.factors[day] * m.activity[day, acct_of_user] * m.user_intensity[users]
        n_sess = rng.poisson(lam / EVENTS_PER_SESSION)
        s_user = np.repeat(users, n_sess)
        s = len(s_user)
        if s == 0:
            return self._empty()
        # Office hours in JST: a morning and an afternoon peak, plus a tail into the late evening.
        comp = rng.random(s)
        start = np.where(
            comp < 0.45,
            rng.normal(10.3, 1.2, s),
            np.where(comp < 0.9, rng.normal(14.8, 1.6, s), rng.uniform(7.0, 24.0, s)),
        )
        start = np.clip(start * 3600.0, 0.0, 86_399.0)
        duration = rng.uniform(5 * 60, 60 * 60, s)
        n_ev = 1 + rng.poisson(EVENTS_PER_SESSION - 1, s)
        ev_sess = np.repeat(np.arange(s), n_ev)
        e = len(ev_sess)
        pos = np.arange(e) - np.repeat(np.cumsum(n_ev) - n_ev, n_ev)
        offset = np.where(pos == 0, 0.0, rng.random(e) * duration[ev_sess])
        user = s_user[ev_sess]
        account = m.user_account[user]
        code = _MIX_CODES[np.searchsorted(_MIX_CUM, rng.random(e))]
        code[(pos == 0) & (rng.random(e) < LOGIN_AT_SESSION_START)] = EV["Logged In"]
        # Accounts that missed onboarding take no key action before their (late or never) first report.
        blocked = (code == EV["Report Created"]) & (day < m.key_action_from[account])
        code[blocked] = EV["Page Viewed"]
        tier = m.tier[day, account]
        feature = np.full(e, -1, dtype=np.int8)
        is_feature = code == EV["Feature Used"]
        for rank, (codes, cum) in enumerate(self._feature_cum):
            sel = is_feature & (tier == rank)
            feature[sel] = codes[np.searchsorted(cum, rng.random(int(sel.sum())))]
        feature[is_feature & (tier < 0)] = 0
        web = rng.random(s) < WEB_SESSION_SHARE
        session_key = np.where(web[ev_sess], (np.int64(day) << 40) | ev_sess.astype(np.int64), -1)
        ts = self.day_start_us(day) + ((start[ev_sess] + offset) * SECOND_US).astype(np.int64)
        return Batch(
            user.astype(np.int64),
            account.astype(np.int64),
            code,
            feature,
            self._properties(rng, code, tier),
            session_key,
            ts,
            ts,
            ts.astype(np.uint64),
            ts.astype(np.uint64),
        )

    @staticmethod
    def _properties(rng: np.random.Generator, code: np.ndarray, tier: np.ndarray) -> np.ndarray:
        e = len(code)
        prop = np.zeros(e, dtype=np.int8)
        u = rng.random(e)
        login = code == EV["Logged In"]
        prop[login] = np.where(
            (tier[login] == 3) & (u[login] < 0.7), PROP['{"method":"sso"}'], PROP['{"method":"password"}']
        )
        page = code == EV["Page Viewed"]
        prop[page] = PROP['{"path":"/home"}'] + (u[page] * 4).astype(np.int8)
        report = code == EV["Report Created"]
        prop[report] = PROP['{"report_type":"summary"}'] + (u[report] < 0.4).astype(np.int8)
        return prop

    def _system_events(self, rng: np.random.Generator, day: int, users: np.ndarray) -> Batch:
        m = self.m
        n = rng.poisson(self.rate * SYSTEM_EVENTS_PER_USER_DAY_SHARE, len(users))
        user = np.repeat(users, n)
        e = len(user)
        if e == 0:
            return self._empty()
        email = rng.random(e) < 0.7
        code = np.where(email, EV["Email Sent"], EV["Background Job Finished"]).astype(np.int8)
        u = rng.random(e)
        prop = np.where(
            email, PROP['{"template":"weekly_digest"}'] + (u < 0.3), PROP['{"job":"data_sync"}'] + (u < 0.2)
        ).astype(np.int8)
        ts = self.day_start_us(day) + (rng.random(e) * DAY_US).astype(np.int64)
        none = np.full(e, -1, dtype=np.int64)
        return Batch(
            user.astype(np.int64),
            m.user_account[user].astype(np.int64),
            code,
            none.astype(np.int8),
            prop,
            none,
            ts,
            ts,
            ts.astype(np.uint64),
            ts.astype(np.uint64),
        )

    def _milestones(self, rng: np.random.Generator, day: int) -> Batch:
        lo, hi = self._milestone_bounds[day], self._milestone_bounds[day + 1]
        ms = self.m.milestones[lo:hi]
        e = len(ms)
        if e == 0:
            return self._empty()
        user = ms["user"].astype(np.int64)
        ts = self.day_start_us(day) + ((ms["second"] + rng.random(e)) * SECOND_US).astype(np.int64)
        none = np.full(e, -1, dtype=np.int64)
        return Batch(
            user,
            self.m.user_account[user].astype(np.int64),
            ms["event"].astype(np.int8),
            none.astype(np.int8),
            ms["prop"].astype(np.int8),
            none,
            ts,
            ts,
            ts.astype(np.uint64),
            ts.astype(np.uint64),
        )

    def to_table(self, b: Batch) -> pa.Table:
        user_idx = pa.array(np.where(b.user < 0, 0, b.user), mask=b.user < 0)
        feature_idx = pa.array(b.feature.astype(np.int32), mask=b.feature < 0)
        return pa.Table.from_arrays(
            [
                message_ids(b.msg_hi, b.msg_lo),
                self.user_array.take(user_idx),
                self.account_array.take(pa.array(b.account)),
                pa.array(EVENT_NAMES, type=pa.string()).take(pa.array(b.code.astype(np.int32))),
                pa.array(FEATURES, type=pa.string()).take(feature_idx),
                session_ids(b.session),
                pa.array(b.code >= EV["Email Sent"]),
                pa.array(b.ts, type=pa.timestamp("us", tz="UTC")),
                pa.array(b.recv, type=pa.timestamp("us", tz="UTC")),
                pa.array(PROPERTY_TEMPLATES, type=pa.string()).take(pa.array(b.prop.astype(np.int32))),
            ],
            schema=SCHEMA,
        )


@dataclass
class EventStats:
    written: int = 0
    files: int = 0
    late_partition: int = 0  # JST day of receivedAt later than JST day of timestamp
    late_over_one_day: int = 0  # receivedAt more than 24 h after timestamp
    not_yet_received: int = 0  # received after the export day; not written
    with_session: int = 0
    system: int = 0


BatchHook = Callable[[int, Batch, np.random.Generator], Batch]


# Dictionary-encode only low-cardinality columns (unique ids gain nothing and cost time); keep min/max
# statistics where readers prune on them.
_PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["userId", "groupId", "event", "feature", "properties"],
    "write_statistics": ["groupId", "event", "timestamp", "receivedAt"],
}


def write_events(stream: EventStream, out_dir: Path, fmt: str, hook: BatchHook | None = None) -> EventStats:
    """Draw and write every day; memory holds two days plus the few late events waiting for their day.

    Writing day d runs on a second thread while day d+1 is drawn (pyarrow releases the GIL); one write in
    flight at most, so memory stays bounded and the files do not depend on thread timing.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _write_days(stream, out_dir, fmt, hook, pool)


def _write_days(
    stream: EventStream, out_dir: Path, fmt: str, hook: BatchHook | None, pool: ThreadPoolExecutor
) -> EventStats:
    stats = EventStats()
    waiting: dict[int, list[Batch]] = {}
    base = (stream.m.window_start - EPOCH).days
    jsonl = _jsonl_writer() if fmt == "jsonl" else None
    in_flight: Future | None = None
    for day in range(stream.m.n_days):
        batch = stream.draw(day)
        if hook is not None:
            batch = hook(day, batch, np.random.default_rng([stream.seed, 0x3E55, day]))
        recv_day = (batch.recv + JST_OFFSET_US) // DAY_US - base
        for later in np.unique(recv_day[recv_day > day]).tolist():
            sel = np.flatnonzero(recv_day == later)
            if later >= stream.m.n_days:
                stats.not_yet_received += len(sel)
            else:
                waiting.setdefault(int(later), []).append(batch.take(sel))
        today = Batch.concat([batch.take(np.flatnonzero(recv_day == day)), *waiting.pop(day, [])])
        today = today.take(np.argsort(today.recv, kind="stable"))
        _count(stats, today)
        table = stream.to_table(today)
        dt = (stream.m.window_start + DAY * day).isoformat()
        part = out_dir / "product_events" / f"dt={dt}"
        part.mkdir(parents=True, exist_ok=True)
        if in_flight is not None:
            in_flight.result()
        if jsonl is None:
            in_flight = pool.submit(pq.write_table, table, part / "part-0.parquet", **_PARQUET_OPTIONS)
        else:
            in_flight = pool.submit(jsonl, table, part / "part-0.jsonl")
        stats.files += 1
    if in_flight is not None:
        in_flight.result()
    return stats


def _count(stats: EventStats, b: Batch) -> None:
    stats.written += len(b)
    stats.late_partition += int(((b.recv + JST_OFFSET_US) // DAY_US > (b.ts + JST_OFFSET_US) // DAY_US).sum())
    stats.late_over_one_day += int((b.recv - b.ts > DAY_US).sum())
    stats.with_session += int((b.session >= 0).sum())
    stats.system += int((b.code >= EV["Email Sent"]).sum())


def _jsonl_writer() -> Callable[[pa.Table, Path], None]:
    """JSON lines through DuckDB: properties as a nested object, timestamps as ISO-8601 with Z."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 1")  # one writer thread keeps the row order, hence identical bytes

    def write(table: pa.Table, path: Path) -> None:
        con.register("day_events", table)
        con.execute(
            f"""COPY (SELECT messageId, userId, groupId, event, feature, sessionId, isSystem,
                        strftime(timezone('UTC', "timestamp"), '%Y-%m-%dT%H:%M:%S.%fZ') AS "timestamp",
                        strftime(timezone('UTC', receivedAt), '%Y-%m-%dT%H:%M:%S.%fZ') AS receivedAt,
                        properties::JSON AS properties
                 FROM day_events) TO '{path}' (FORMAT JSON)"""
        )
        con.unregister("day_events")

    return write
