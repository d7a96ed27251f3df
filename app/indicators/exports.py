"""Tables of figures (or lists) as CSV or XLSX downloads. Rows are plain values: nothing here reads a record."""

import csv
import io
from collections.abc import Iterable, Iterator

from fastapi.responses import Response, StreamingResponse

from app.errors import NotFound

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_lines(rows: Iterable[list]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    yield "\ufeff"  # so that spreadsheet programs read UTF-8
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def xlsx_bytes(rows: Iterable[list], title: str = "Parcours") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def respond(rows: Iterable[list], name: str, fmt: str) -> Response:
    """A download of `rows` (the first is the header): CSV streamed line by line, or an XLSX workbook."""
    if fmt == "csv":
        return StreamingResponse(
            _csv_lines(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            xlsx_bytes(rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    raise NotFound()
