"""Reading and writing tables as CSV (UTF-8) or XLSX, chosen by the file's extension."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from python_calamine import CalamineWorkbook

from api.errors import ValidationFailed

ROW = "row"
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""What ``str.strip()`` removes."""

FORMATS = (".csv", ".xlsx")


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationFailed(f"{path.name}: use a .csv (UTF-8) or .xlsx file", path=("file",))
    return suffix


def read(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header row and the numbered data rows (the header is row 1), as text cells."""
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file", path=("file",))
    if format_of(path) == ".csv":
        return _read_csv(path)
    return _read_xlsx(path)


def read_frame(path: Path, data: bytes | None = None) -> tuple[list[str], pl.DataFrame]:
    """``read`` as one table: a ``row`` number column, then a text column per named
    header, each cell as ``str.strip()`` leaves it (a missing cell is empty). Rows and
    numbers are exactly ``read``'s. ``data``: the file's bytes, if the caller has read
    them already."""
    if data is None and not path.is_file():
        raise ValidationFailed(f"{path}: no such file", path=("file",))
    if format_of(path) == ".csv":
        fast = _csv_frame(path.read_bytes() if data is None else data)
        if fast is not None:
            return fast
    header, rows = read(path)
    names = _named(header)
    numbers: list[int] = []
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    for number, cells in rows:
        numbers.append(number)
        for name, values in columns.items():
            values.append((cells.get(name) or "").strip())
    schema: dict[str, Any] = {ROW: pl.Int64} | dict.fromkeys(names, pl.String)
    return header, pl.DataFrame({ROW: numbers} | columns, schema=schema)


def _named(header: Sequence[str]) -> dict[str, int]:
    """Each non-empty header -> the index of its cells (the last, as ``dict(zip())``)."""
    return {name: index for index, name in enumerate(header) if name}


def _csv_frame(data: bytes) -> tuple[list[str], pl.DataFrame] | None:
    """The file read by polars, or None where it might not read as ``csv.reader`` does:
    any quote, a carriage return that does not end a line, or anything polars refuses
    (bad UTF-8, a row longer than the header, an empty file); ``read`` takes those."""
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = [h.strip() for h in first.decode("utf-8-sig").split(",")]
        frame = pl.read_csv(
            data, has_header=False, infer_schema=False, quote_char=None, raise_if_empty=True
        )
    except (UnicodeDecodeError, pl.exceptions.PolarsError):
        return None
    if frame.width != len(header) or [(h or "").strip() for h in frame.row(0)] != header:
        return None
    names = _named(header)
    # Rust's whitespace is Python's but for the separators U+001C-U+001F: strip those too
    # only when the file has one (rare, and the wider strip is slower).
    wide = any(bytes([c]) in data for c in range(0x1C, 0x20))
    strip = WHITESPACE if wide else None
    columns = frame.columns
    frame = (
        frame.with_row_index(ROW, offset=1)
        .slice(1)
        .select(ROW, *[pl.col(c).fill_null("").str.strip_chars(strip) for c in columns])
        .filter(pl.any_horizontal([pl.col(c) != "" for c in columns]))
        .select(
            pl.col(ROW).cast(pl.Int64),
            *[pl.col(columns[index]).alias(name) for name, index in names.items()],
        )
    )
    return header, frame


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM; accept it
    except UnicodeDecodeError:
        raise ValidationFailed(
            f"{path.name} is not UTF-8; save it as CSV UTF-8", path=("file",)
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                yield number, dict(zip(header, cells, strict=False))

    return header, rows()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into Excel: 2016 is stored as 2016.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        cells = iter(sheet.to_python(skip_empty_area=False))
    except Exception as exc:  # calamine raises its own kinds for a file that is not xlsx
        raise ValidationFailed(f"{path.name} is not a readable .xlsx file: {exc}") from None
    header = [_cell(c).strip() for c in next(cells, [])]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, row in enumerate(cells, start=2):
            values = [_cell(c) for c in row]
            if any(v.strip() for v in values):
                yield number, dict(zip(header, values, strict=False))

    return header, rows()


def write(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Write a table; in XLSX every cell is text, so codes keep their leading zeros."""
    if format_of(path) == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        return
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, list(header))
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, list(row))
    book.close()
