"""Reading and writing tables as CSV (UTF-8) or XLSX, chosen by the file's extension."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from api.errors import ValidationFailed

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
