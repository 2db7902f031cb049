"""Load landing files into the raw schema: typed, validated, deduplicated, reconciled.

Two kinds of entity:
- snapshot entities (CRM, support, survey exports): one file `<entity>.csv|.jsonl|.parquet` holding the
  whole object; a changed file replaces the raw table, an unchanged one (same SHA-256) is skipped;
- day-partitioned entities (the product event log): `<entity>/dt=YYYY-MM-DD/*`; each new file is appended,
  a file already loaded with the same content is skipped, a changed file replaces its own rows.

Every row read ends either in `raw.<entity>` or in `raw._quarantine` (file, line, rule, raw text), and
`raw._load_audit` records rows read = loaded + quarantined for each file of each load.

A snapshot export missing from the landing folder stops the load, unless its entity is optional (the
contract's `optional: true` or CSW_OPTIONAL_EXPORTS). A snapshot child is re-validated whenever a parent it
references changes (`_input_signature`). Events quarantined as orphans are kept typed in
`raw._orphans_<entity>` as well; when a parent changes they alone are re-checked and loaded if their parent
is now there, while loaded events whose parent is gone move to quarantine (`_recheck_references`). Either
move is written to the audit as a new row for the file, so each file still reconciles.

Finding the files is `discovery`, the raw schema and its record tables `audit`; this module loads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from cs_warehouse.contract import Contract, Entity, load_contract
from cs_warehouse.ingestion.audit import ORPHAN_RULE, RAW_SCHEMA, ensure_raw_schema, orphans_table
from cs_warehouse.ingestion.discovery import (
    MissingExportError,
    file_sha256,
    partition_files,
    snapshot_file,
)
from cs_warehouse.ingestion.readers import UnreadableFileError, read_text_file
from cs_warehouse.ingestion.validate import typed_expression, violation_expressions
from cs_warehouse.settings import duckdb_memory_limit, optional_exports
from cs_warehouse.sqltext import quote_ident, sql_literal, sql_literal_list

# Event bytes processed per SQL pass: bounds the temporary batch on large backfills (~10M events).
PARTITION_CHUNK_BYTES = 384 * 1024 * 1024


@dataclass(frozen=True)
class FileResult:
    entity: str
    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    skipped: bool = False
    # A file already loaded whose orphan rows were re-judged against changed parents (no new read).
    revalidated: bool = False

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


def next_load_id(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> str:
    """A new load's id: its UTC start to the microsecond and a random suffix, ordered after every load already
    audited. The incremental models take rows with `_load_id` above their watermark as new, so a load's id
    must sort after all earlier ones, also for two loads in the same second or after the clock was set back.
    Ids hold only letters, digits, `_` and `-` (the load-scoped dbt tests take one as a literal)."""
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S_%f")
    load_id = f"{stamp}-{uuid.uuid4().hex[:8]}"
    last = con.execute(
        f"select max(load_id) from (select load_id from {RAW_SCHEMA}._load_audit "
        f"union all select load_id from {RAW_SCHEMA}._reference_checks)"
    ).fetchall()[0][0]
    if last is not None and load_id <= last:
        # A string that extends the last id sorts right after it.
        load_id = f"{last}-{uuid.uuid4().hex[:8]}"
    return load_id


class Loader:
    """Loads the landing folder into one DuckDB database. One instance per load (one load_id)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        landing_dir: Path,
        contract: Contract | None = None,
        optional: frozenset[str] | set[str] | None = None,
    ):
        """`optional`: snapshot entities whose export may be missing, beyond the contract's optional ones;
        by default CSW_OPTIONAL_EXPORTS."""
        self.con = con
        self.landing_dir = landing_dir
        self.contract = contract or load_contract()
        con.execute("set TimeZone = 'UTC'")
        # Bounded memory on large backfills: DuckDB spills to disk beyond this instead of growing to 80 % of RAM.
        con.execute(f"set memory_limit = {sql_literal(duckdb_memory_limit())}")
        con.execute("set preserve_insertion_order = false")
        ensure_raw_schema(con, self.contract)
        self.load_id = next_load_id(con)
        self._signature: str | None = None
        self.optional = frozenset(optional_exports() if optional is None else optional)
        unknown = self.optional - set(self.contract.entities)
        if unknown:
            raise ValueError(f"optional exports name entities not in the contract: {sorted(unknown)}")

    # -- public -------------------------------------------------------------------------------------
    def load_all(self) -> list[FileResult]:
        # Fail before loading anything: a missing export or a misnamed day folder.
        self.require_exports(self.contract.load_order())
        for entity in self.contract.load_order():
            if entity.partitioned_by_day:
                partition_files(self.landing_dir, entity)
        results: list[FileResult] = []
        for entity in self.contract.load_order():
            results += self.load_entity(entity)
        return results

    def missing_exports(self, entities: list[Entity]) -> list[Entity]:
        """Snapshot entities among these with no export in the landing folder that are not optional."""
        return [
            e
            for e in entities
            if not e.partitioned_by_day
            and not e.optional
            and e.name not in self.optional
            and snapshot_file(self.landing_dir, e) is None
        ]

    def require_exports(self, entities: list[Entity]) -> None:
        """Raise MissingExportError naming every expected export of these entities that is missing."""
        missing = self.missing_exports(entities)
        if missing:
            raise MissingExportError(self.landing_dir, missing)

    def load_entity(self, entity: Entity, days: set[dt.date] | None = None, force: bool = False) -> list[FileResult]:
        """Load an entity's new or changed files. For day-partitioned entities `days` limits the load to
        those day folders and `force` reloads their files even when unchanged (a backfill)."""
        if entity.partitioned_by_day:
            return self._load_partitions(entity, days, force)
        self.require_exports([entity])
        path = snapshot_file(self.landing_dir, entity)
        return [] if path is None else [self._load_snapshot(entity, path)]

    # -- snapshot entities ---------------------------------------------------------------------------
    def _latest_signature(self, entity_name: str) -> str | None:
        row = self.con.execute(
            f"select arg_max(input_signature, loaded_at) from {RAW_SCHEMA}._load_audit where entity = ?",
            [entity_name],
        ).fetchall()
        return row[0][0] if row else None

    def _input_signature(self, entity: Entity, sha: str) -> str:
        """The file's content plus the current state of every entity it references: a changed parent
        (say, accounts that were quarantined yesterday and are back today) re-validates the children."""
        parents = sorted({c.reference[0] for c in entity.columns if c.reference and c.reference[0] != entity.name})
        parts = [sha] + [f"{p}={self._latest_signature(p)}" for p in parents]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _load_snapshot(self, entity: Entity, path: Path) -> FileResult:
        rel = self._relative(path)
        sha = file_sha256(path)
        signature = self._input_signature(entity, sha)
        last = self.con.execute(
            f"select input_signature, rows_read, rows_loaded, rows_quarantined from {RAW_SCHEMA}._load_audit "
            "where entity = ? order by loaded_at desc limit 1",
            [entity.name],
        ).fetchall()
        if last and last[0][0] == signature:
            return FileResult(entity.name, rel, *last[0][1:], skipped=True)
        self._signature = signature
        self.con.execute("begin transaction")
        try:
            self.con.execute(f"delete from {RAW_SCHEMA}.{entity.raw_table}")
            self.con.execute(f"delete from {RAW_SCHEMA}._quarantine where entity = ?", [entity.name])
            result = self._load_files(entity, [(None, path, sha)])[0]
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return result

    # -- day-partitioned entities --------------------------------------------------------------------
    def _load_partitions(self, entity: Entity, days: set[dt.date] | None, force: bool) -> list[FileResult]:
        loaded = dict(
            self.con.execute(
                f"select source_file, arg_max(file_sha256, loaded_at) from {RAW_SCHEMA}._load_audit "
                "where entity = ? group by source_file",
                [entity.name],
            ).fetchall()
        )
        pending: list[tuple[dt.date | None, Path, str]] = []
        results: list[FileResult] = []
        for day, path in partition_files(self.landing_dir, entity):
            if days is not None and day not in days:
                continue
            rel = self._relative(path)
            sha = file_sha256(path)
            if loaded.get(rel) == sha and not force:
                continue
            pending.append((day, path, sha))
        for chunk in _chunks_by_size(pending, PARTITION_CHUNK_BYTES):
            self.con.execute("begin transaction")
            try:
                # A file that was never loaded has no rows to replace: a first load deletes nothing, and a
                # reload deletes its files' rows in one statement per chunk (each delete scans the table).
                reloaded = [rel for rel in (self._relative(path) for _, path, _ in chunk) if rel in loaded]
                if reloaded:
                    self.con.execute(
                        f"delete from {RAW_SCHEMA}.{entity.raw_table} where _source_file in (select unnest(?))",
                        [reloaded],
                    )
                    self.con.execute(
                        f"delete from {RAW_SCHEMA}._quarantine where entity = ? and source_file in (select unnest(?))",
                        [entity.name, reloaded],
                    )
                    self.con.execute(
                        f"delete from {orphans_table(entity)} where _source_file in (select unnest(?))", [reloaded]
                    )
                results += self._load_files(entity, chunk)
                self.con.execute("commit")
            except BaseException:
                self.con.execute("rollback")
                raise
        return results + self._recheck_references(entity)

    # -- orphans of day-partitioned entities -----------------------------------------------------------
    def _parents_signature(self, entity: Entity) -> str:
        parents = sorted({c.reference[0] for c in entity.columns if c.reference and c.reference[0] != entity.name})
        return hashlib.sha256("|".join(f"{p}={self._latest_signature(p)}" for p in parents).encode()).hexdigest()

    def _recheck_references(self, entity: Entity) -> list[FileResult]:
        """After a parent changed: load the parked orphans whose parents are now there, and quarantine the
        loaded rows whose parent is gone. Only the parked rows are re-checked for the first; the second is one
        anti-join over the reference columns. Nothing happens while the parents are unchanged."""
        con = self.con
        refs = [(c, self.contract.entities[c.reference[0]], c.reference[1]) for c in entity.columns if c.reference]
        if not refs or any(parent.name == entity.name for _, parent, _ in refs):
            return []
        signature = self._parents_signature(entity)
        last = con.execute(
            f"select arg_max(parents_signature, checked_at) from {RAW_SCHEMA}._reference_checks where entity = ?",
            [entity.name],
        ).fetchall()[0][0]
        if last == signature:
            return []
        table = f"{RAW_SCHEMA}.{entity.raw_table}"
        parked = orphans_table(entity)
        key = quote_ident(entity.key_column.raw_name)
        cols = ", ".join(quote_ident(c.raw_name) for c in entity.columns)
        # The first reference a row breaks names its rule, as in _check_references.
        broken = " ".join(
            f"when {quote_ident(c.raw_name)} is not null and {quote_ident(c.raw_name)} not in "
            f"(select {quote_ident(parent.column(pk).raw_name)} from {RAW_SCHEMA}.{parent.raw_table}) "
            f"then {sql_literal(ORPHAN_RULE + ':' + c.name)}"
            for c, parent, pk in refs
        )
        broken_sql = f"case {broken} end"
        source_json = (
            "json_object("
            + ", ".join(f"{sql_literal(c.name)}, cast({quote_ident(c.raw_name)} as varchar)" for c in entity.columns)
            + ")"
        )
        partition = ", _partition_date" if entity.partitioned_by_day else ""
        con.execute("begin transaction")
        try:
            # Parked orphans, judged again: still orphaned, now a duplicate of a loaded key, or loadable.
            con.execute(
                f"""create or replace temp table _rejudged as
                select _source_file, _source_line, {key} as _key, {broken_sql} as _violations from {parked}"""
            )
            # Keys already loaded from another file, and all but the first of a key among the parked rows.
            con.execute(
                f"""update _rejudged set _violations = 'duplicate_key:{entity.primary_key}'
                from (
                    select _source_file, _source_line from (
                        select _source_file, _source_line, _key,
                               row_number() over (partition by _key order by _source_file, _source_line) as n
                        from _rejudged where _violations is null
                    )
                    where n > 1 or _key in (
                        select {key} from {table} where {key} in (select _key from _rejudged where _violations is null)
                    )
                ) as dup
                where _rejudged._source_file = dup._source_file and _rejudged._source_line = dup._source_line"""
            )
            con.execute(
                f"""create or replace temp table _demoted as
                select * from (select *, {broken_sql} as _violations from {table}) where _violations is not null"""
            )
            # Loadable orphans: into the raw table under this load, out of the quarantine and the parking.
            con.execute(
                f"""insert into {table} ({cols}, _source_file, _source_line, _load_id{partition})
                select {cols}, p._source_file, p._source_line, {sql_literal(self.load_id)}{partition}
                from {parked} as p inner join _rejudged as r
                    on p._source_file = r._source_file and p._source_line = r._source_line
                where r._violations is null"""
            )
            # A changed rule (now a duplicate, or another reference broken) replaces the quarantine's.
            con.execute(
                f"""update {RAW_SCHEMA}._quarantine as q
                set rule = split_part(r._violations, ':', 1), column_name = split_part(r._violations, ':', 2),
                    violations = r._violations
                from _rejudged as r
                where q.entity = ? and q.source_file = r._source_file and q.line = r._source_line
                  and r._violations is not null and q.violations <> r._violations""",
                [entity.name],
            )
            con.execute(
                f"""delete from {RAW_SCHEMA}._quarantine as q using _rejudged as r
                where q.entity = ? and q.source_file = r._source_file and q.line = r._source_line
                  and r._violations is null""",
                [entity.name],
            )
            con.execute(
                f"""delete from {parked} as p using _rejudged as r
                where p._source_file = r._source_file and p._source_line = r._source_line
                  and (r._violations is null or r._violations not like '{ORPHAN_RULE}:%')"""
            )
            # Loaded rows whose parent is gone: to the quarantine and the parking, out of the raw table.
            con.execute(
                f"""insert into {RAW_SCHEMA}._quarantine
                select {sql_literal(self.load_id)}, {sql_literal(entity.name)}, _source_file, _source_line,
                       split_part(_violations, ':', 1), split_part(_violations, ':', 2), _violations,
                       cast({source_json} as varchar), now()
                from _demoted"""
            )
            con.execute(f"insert into {parked} select * exclude (_violations) from _demoted")
            con.execute(
                f"""delete from {table} as t using _demoted as d
                where t._source_file = d._source_file and t._source_line = d._source_line"""
            )
            con.execute(
                """create or replace temp table _moves as
                select _source_file, sum(readmitted) as readmitted, sum(orphaned) as orphaned from (
                    select _source_file, 1 as readmitted, 0 as orphaned from _rejudged where _violations is null
                    union all
                    select _source_file, 0, 1 from _demoted
                ) group by 1"""
            )
            results = self._audit_moves(entity)
            moves = con.execute(
                "select coalesce(sum(readmitted), 0), coalesce(sum(orphaned), 0) from _moves"
            ).fetchall()
            con.execute(
                f"insert into {RAW_SCHEMA}._reference_checks values (?, ?, ?, ?, ?, now())",
                [self.load_id, entity.name, signature, int(moves[0][0]), int(moves[0][1])],
            )
            for name in ("_rejudged", "_demoted", "_moves"):
                con.execute(f"drop table {name}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return results

    def _audit_moves(self, entity: Entity) -> list[FileResult]:
        """A new audit row per file in `_moves`: its last counts, readmitted rows moved from quarantined to
        loaded and newly orphaned rows the other way (the `rows_reconcile` check compares with the tables)."""
        rows = self.con.execute(
            f"""insert into {RAW_SCHEMA}._load_audit
            select {sql_literal(self.load_id)}, a.entity, a.source_file, a.file_sha256, a.encoding, a.rows_read,
                   a.rows_loaded + m.readmitted - m.orphaned, a.rows_quarantined - m.readmitted + m.orphaned,
                   a.extra_headers, now(), null
            from (
                select entity, source_file, arg_max(file_sha256, loaded_at) as file_sha256,
                       arg_max(encoding, loaded_at) as encoding, arg_max(rows_read, loaded_at) as rows_read,
                       arg_max(rows_loaded, loaded_at) as rows_loaded,
                       arg_max(rows_quarantined, loaded_at) as rows_quarantined,
                       arg_max(extra_headers, loaded_at) as extra_headers
                from {RAW_SCHEMA}._load_audit
                where entity = ? and source_file in (select _source_file from _moves)
                group by entity, source_file
            ) as a
            inner join _moves as m on a.source_file = m._source_file
            returning source_file, rows_read, rows_loaded, rows_quarantined""",
            [entity.name],
        ).fetchall()
        return [FileResult(entity.name, *row, revalidated=True) for row in sorted(rows)]

    # -- one batch of files of one entity ------------------------------------------------------------
    def _load_files(self, entity: Entity, files: list[tuple[dt.date | None, Path, str]]) -> list[FileResult]:
        self._stage_batch(entity, files)
        self._check_batch(entity)
        self._write_batch(entity)
        results = self._audit_files(entity, [(self._relative(path), sha) for _, path, sha in files])
        self.con.execute("drop view if exists _batch")
        for name in ("_checked", "_rejected", "_file_meta"):
            self.con.execute(f"drop table if exists {name}")
        for i in range(sum(path.suffix.lower() != ".parquet" for _, path, _ in files)):
            self.con.unregister(f"_text_{i}")
        return results

    def _stage_batch(self, entity: Entity, files: list[tuple[dt.date | None, Path, str]]) -> None:
        """Create temp view `_batch` (_file, _line, _raw, _partition_date, columns) and table `_rejected`.

        `_batch` is a view over the files (Parquet read in place, text files as registered Arrow tables):
        the rows are materialised once, typed and checked, in `_checked`."""
        con = self.con
        cols = ", ".join(quote_ident(c.raw_name) for c in entity.columns)
        con.execute(
            "create or replace temp table _rejected "
            "(_file varchar, _line bigint, rule varchar, detail varchar, raw varchar)"
        )
        con.execute(
            "create or replace temp table _file_meta (_file varchar, encoding varchar, extra varchar, rows_read bigint)"
        )
        parquet = [(d, p) for d, p, _ in files if p.suffix.lower() == ".parquet"]
        text = [(d, p) for d, p, _ in files if p.suffix.lower() != ".parquet"]
        selects = []
        if parquet:
            selects.append(self._parquet_select(entity, parquet))
        for i, (day, path) in enumerate(text):
            batch = read_text_file(path, entity)
            rel = self._relative(path)
            con.register(f"_text_{i}", batch.table)
            day_sql = f"date {sql_literal(day.isoformat())}" if day else "cast(null as date)"
            selects.append(
                f"select {sql_literal(rel)} as _file, _line, _raw, {day_sql} as _partition_date, "
                f"cast(null as varchar) as _naive_columns, {cols} from _text_{i}"
            )
            con.execute(
                "insert into _file_meta values (?, ?, ?, ?)",
                [rel, batch.encoding, ",".join(batch.extra_headers) or None, batch.rows_read],
            )
            if batch.rejected:
                rejected = pa.table(
                    {
                        "_file": [rel] * len(batch.rejected),
                        "_line": [r.line for r in batch.rejected],
                        "rule": [r.rule for r in batch.rejected],
                        "detail": [r.detail for r in batch.rejected],
                        "raw": [r.raw for r in batch.rejected],
                    }
                )
                con.register("_rejected_arrow", rejected)
                con.execute("insert into _rejected select * from _rejected_arrow")
                con.unregister("_rejected_arrow")
        con.execute("create or replace temp view _batch as " + " union all by name ".join(selects))

    def _parquet_select(self, entity: Entity, files: list[tuple[dt.date | None, Path]]) -> str:
        """One SELECT per group of files sharing a schema, so each file's own column types are judged."""
        groups: dict[tuple, list[tuple[dt.date | None, Path]]] = {}
        # Rows read come from each file's own footer, independent of what the load later writes.
        footer_rows = dict(
            self.con.execute(
                "select file_name, num_rows from parquet_file_metadata(?)", [[str(p) for _, p in files]]
            ).fetchall()
        )
        for day, path in files:
            probe = self.con.execute("select * from read_parquet(?) limit 0", [str(path)])
            schema = tuple((d[0], str(d[1])) for d in probe.description)
            probe.fetchall()
            present = {name for name, _ in schema}
            missing = [c.name for c in entity.columns if c.name not in present]
            if missing:
                raise UnreadableFileError(path, f"missing required column(s) {missing} for entity {entity.name}")
            groups.setdefault(schema, []).append((day, path))
        self.con.execute(
            "insert into _file_meta select unnest(?), 'parquet', null, unnest(?)",
            [[self._relative(p) for _, p in files], [footer_rows[str(p)] for _, p in files]],
        )
        return " union all by name ".join(self._parquet_group_select(entity, dict(s), g) for s, g in groups.items())

    def _parquet_group_select(
        self, entity: Entity, types: dict[str, str], files: list[tuple[dt.date | None, Path]]
    ) -> str:
        paths = [str(p) for _, p in files]
        day_of = " ".join(
            f"when {sql_literal(str(p))} then date {sql_literal(d.isoformat())}" for d, p in files if d is not None
        )
        day_sql = f"case filename {day_of} end" if day_of else "cast(null as date)"
        rel_of = " ".join(f"when {sql_literal(str(p))} then {sql_literal(self._relative(p))}" for _, p in files)
        selected, naive = [], []
        for c in entity.columns:
            source = types[c.name].upper()
            if c.type == "timestamp" and "TIMESTAMP" in source and "TIME ZONE" not in source and "TZ" not in source:
                # A zone-less timestamp column: kept as if UTC for the raw text, flagged as a zone violation.
                naive.append(c.name)
                selected.append(f"cast({quote_ident(c.name)} as timestamptz) as {quote_ident(c.raw_name)}")
            else:
                selected.append(f"{quote_ident(c.name)} as {quote_ident(c.raw_name)}")
        naive_sql = sql_literal("," + ",".join(naive) + ",") if naive else "cast(null as varchar)"
        return (
            f"select case filename {rel_of} end as _file, file_row_number + 1 as _line, cast(null as varchar) as _raw, "
            f"{day_sql} as _partition_date, {naive_sql} as _naive_columns, {', '.join(selected)} "
            f"from read_parquet({sql_literal_list(paths)}, filename = true, file_row_number = true)"
        )

    def _check_batch(self, entity: Entity) -> None:
        """Build `_checked`: typed columns plus `_violations` ('rule:Column; ...' or NULL when clean)."""
        con = self.con
        types = dict(con.execute("select column_name, column_type from (describe _batch)").fetchall())
        typed = ", ".join(
            f"{typed_expression(c, types[c.raw_name])} as {quote_ident(c.raw_name)}" for c in entity.columns
        )
        checks = [
            f"case when _naive_columns like {sql_literal('%,' + c.name + ',%')} then 'timezone:{c.name}' end"
            for c in entity.columns
            if c.type == "timestamp"
        ]
        checks += [v for c in entity.columns for v in violation_expressions(c, types[c.raw_name])]
        # A row is (_file, _line): unique within a batch, so no row number over the whole batch is needed.
        con.execute(
            f"""create or replace temp table _checked as
            select _file, _line, _raw, _partition_date, {typed},
                   nullif(concat_ws('; ', {", ".join(checks)}), '') as _violations
            from _batch"""
        )
        key = quote_ident(entity.key_column.raw_name)
        # Duplicates within the batch: the first row of a key (by file and line) stays. Only keys seen more
        # than once are ranked, so a clean batch costs one hash aggregate, not a sort of every row.
        con.execute(
            f"""update _checked set _violations = 'duplicate_key:{entity.primary_key}'
            from (
                select _file, _line from (
                    select c._file, c._line, row_number() over (partition by c.{key} order by c._file, c._line) as n
                    from _checked as c
                    inner join (
                        select {key} from _checked where _violations is null group by {key} having count(*) > 1
                    ) as repeated on c.{key} is not distinct from repeated.{key}
                    where c._violations is null
                ) where n > 1
            ) as later
            where _checked._file = later._file and _checked._line = later._line"""
        )
        if entity.partitioned_by_day:
            # Keys already loaded from other files (a retried event delivered again on a later day).
            con.execute(
                f"""update _checked set _violations = 'duplicate_key:{entity.primary_key}'
                where _violations is null and {key} in (select {key} from {RAW_SCHEMA}.{entity.raw_table})"""
            )
        self._check_references(entity)

    def _check_references(self, entity: Entity) -> None:
        con = self.con
        for col in entity.columns:
            ref = col.reference
            if not ref:
                continue
            parent = self.contract.entities[ref[0]]
            parent_key = quote_ident(parent.column(ref[1]).raw_name)
            c = quote_ident(col.raw_name)
            if parent.name == entity.name:
                # Self-reference: repeat until stable, since dropping one row can orphan another.
                while True:
                    changed = con.execute(
                        f"""update _checked set _violations = 'orphan_reference:{col.name}'
                        where _violations is null and {c} is not null
                          and {c} not in (select {parent_key} from _checked where _violations is null)"""
                    ).fetchall()[0][0]
                    if not changed:
                        break
            else:
                con.execute(
                    f"""update _checked set _violations = 'orphan_reference:{col.name}'
                    where _violations is null and {c} is not null
                      and {c} not in (select {parent_key} from {RAW_SCHEMA}.{parent.raw_table})"""
                )

    def _write_batch(self, entity: Entity) -> None:
        con = self.con
        # Parquet rows carry no text of their own: the quarantine keeps them as JSON, built only for the
        # rows that break a rule (building it for every event would double a large load's memory).
        source_json = (
            "json_object("
            + ", ".join(f"{sql_literal(c.name)}, cast({quote_ident(c.raw_name)} as varchar)" for c in entity.columns)
            + ")"
        )
        cols = ", ".join(quote_ident(c.raw_name) for c in entity.columns)
        partition = ", _partition_date" if entity.partitioned_by_day else ""
        con.execute(
            f"""insert into {RAW_SCHEMA}.{entity.raw_table} ({cols}, _source_file, _source_line, _load_id{partition})
            select {cols}, _file, _line, {sql_literal(self.load_id)}{partition}
            from _checked where _violations is null"""
        )
        if entity.partitioned_by_day:
            # Orphans are kept typed as well, so that a parent arriving later loads them (_recheck_references).
            con.execute(
                f"""insert into {orphans_table(entity)} ({cols}, _source_file, _source_line, _load_id{partition})
                select {cols}, _file, _line, {sql_literal(self.load_id)}{partition}
                from _checked where _violations like '{ORPHAN_RULE}:%'"""
            )
        # The first violation names the rule and column: 'rule:Column' or 'range:Column (max 10000000000)'.
        con.execute(
            f"""insert into {RAW_SCHEMA}._quarantine
            select {sql_literal(self.load_id)}, {sql_literal(entity.name)}, _file, _line,
                   regexp_extract(_violations, '^([a-z_]+):', 1),
                   regexp_extract(_violations, '^[a-z_]+:([^ ;]+)', 1),
                   _violations, coalesce(_raw, cast({source_json} as varchar)), now()
            from _checked where _violations is not null
            union all
            select {sql_literal(self.load_id)}, {sql_literal(entity.name)}, _file, _line, rule, null,
                   rule || ': ' || detail, raw, now()
            from _rejected"""
        )

    def _audit_files(self, entity: Entity, files: list[tuple[str, str]]) -> list[FileResult]:
        """Count what this load wrote per file, from the tables themselves, beside the rows read."""
        con = self.con
        names = [rel for rel, _ in files]
        loaded = dict(
            con.execute(
                f"select _source_file, count(*) from {RAW_SCHEMA}.{entity.raw_table} "
                "where _load_id = ? and _source_file in (select unnest(?)) group by 1",
                [self.load_id, names],
            ).fetchall()
        )
        quarantined = dict(
            con.execute(
                f"select source_file, count(*) from {RAW_SCHEMA}._quarantine "
                "where load_id = ? and entity = ? and source_file in (select unnest(?)) group by 1",
                [self.load_id, entity.name, names],
            ).fetchall()
        )
        meta = {
            row[0]: row[1:]
            for row in con.execute("select _file, encoding, extra, rows_read from _file_meta").fetchall()
        }
        results = []
        for rel, sha in files:
            encoding, extra, read = meta[rel]
            result = FileResult(entity.name, rel, read, loaded.get(rel, 0), quarantined.get(rel, 0))
            con.execute(
                f"insert into {RAW_SCHEMA}._load_audit values (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
                [
                    self.load_id,
                    entity.name,
                    rel,
                    sha,
                    encoding,
                    read,
                    result.rows_loaded,
                    result.rows_quarantined,
                    extra,
                    None if entity.partitioned_by_day else self._signature,
                ],
            )
            results.append(result)
        return results

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.landing_dir.resolve()).as_posix()
        except ValueError:
            return str(path)


def _chunks_by_size(
    files: list[tuple[dt.date | None, Path, str]], limit: int
) -> list[list[tuple[dt.date | None, Path, str]]]:
    chunks: list[list[tuple[dt.date | None, Path, str]]] = []
    size = limit
    for item in files:
        file_size = item[1].stat().st_size
        if size + file_size > limit and (not chunks or chunks[-1]):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += file_size
    return chunks


def load_landing(
    database: Path | str,
    landing_dir: Path,
    entities: list[str] | None = None,
    optional: frozenset[str] | set[str] | None = None,
) -> list[FileResult]:
    """Load the landing folder into `database`; returns one result per file (skipped files included).
    `optional`: entities whose export may be missing (default: CSW_OPTIONAL_EXPORTS)."""
    contract = load_contract()
    with duckdb.connect(str(database)) as con:
        loader = Loader(con, landing_dir, contract, optional)
        if entities is None:
            return loader.load_all()
        loader.require_exports([e for e in contract.load_order() if e.name in entities])
        results: list[FileResult] = []
        for entity in contract.load_order():
            if entity.name in entities:
                results += loader.load_entity(entity)
        return results
