"""Tables of figures (or lists) as CSV or XLSX downloads. Rows are plain values: nothing here reads a record.

CSV is streamed line by line from the row iterator (a list read with yield_per is never whole in memory). XLSX is
written by openpyxl in write-only mode into a temporary file (in memory while small), then streamed; it holds at
most XLSX_MAX_ROWS rows (a spreadsheet's limit), the CSV has them all."""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Literal

from fastapi.responses import Response, StreamingResponse

from app.errors import NotFound

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["csv", "xlsx"]  # the `{fmt}` of an `export.{fmt}` route; another is a page that does not exist


def _csv_lines(rows: Iterable[list]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    yield "\ufeff"  # so that spreadsheet programs read UTF-8
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


XLSX_MAX_ROWS = 1_048_575  # the last row of a sheet says the list was cut


def xlsx_file(rows: Iterable[list], title: str = "Parcours"):
    """The rows as an XLSX workbook in a temporary file, rewound (rows past XLSX_MAX_ROWS are left out, and said)."""
    from openpyxl import Workbook

    from app.i18n import _

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for n, row in enumerate(rows):
        if n >= XLSX_MAX_ROWS:
            ws.append([str(_("The list goes on: export it as CSV to have every line."))])
            break
        ws.append(list(row))
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by _chunks)
    wb.save(out)
    out.seek(0)
    return out


def _chunks(f) -> Iterator[bytes]:
    try:
        while chunk := f.read(64 * 1024):
            yield chunk
    finally:
        f.close()


def respond(rows: Iterable[list], name: str, fmt: str) -> Response:
    """A download of `rows` (the first is the header): CSV streamed line by line, or an XLSX workbook."""
    if fmt == "csv":
        return StreamingResponse(
            _csv_lines(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return StreamingResponse(
            _chunks(xlsx_file(rows)),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    raise NotFound()
