#!/usr/bin/env python3
"""B3's baseline (runs in .cache/bench-venv): what parsing a ledger export costs in Python
and nothing else — no normalising, no Avro, no Kafka — to give ruralsync's file ingest a
ratio.

    python_file_parse.py csv FILE    GBK (GB18030) text, the `csv` module
    python_file_parse.py xlsx FILE   openpyxl, read-only mode, the first worksheet

Both do the same table work as ruralsync's `file_drop` source: find the header row (the
one holding 资产编码 and 更新时间) below the title rows, skip blank and 合计 rows, and make a
dict of column name → value per record (cells as the reader gives them: text for CSV,
numbers and datetimes for XLSX, not rendered back to text). Prints one JSON object:
{"format", "records", "skipped", "secs"}, secs being the parse alone (imports excluded).
"""

import csv
import json
import sys
import time

HEADER = ("资产编码", "更新时间")
TOTAL_WORDS = ("合计", "总计", "小计", "total")


def is_total(cells):
    for c in cells:
        if isinstance(c, str) and len(c) <= 12:
            s = "".join(c.split()).lower().rstrip(":：")
            if any(s == w or (s.endswith(w) and len(s) <= len(w) + 4) for w in TOTAL_WORDS):
                return True
    return False


def records(rows):
    """(records, skipped rows) of an iterator of row tuples."""
    columns = None
    n = skipped = 0
    for cells in rows:
        if columns is None:
            names = [c.strip() if isinstance(c, str) else "" for c in cells]
            if all(h in names for h in HEADER):
                columns = names
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells) or is_total(cells):
            skipped += 1
            continue
        record = {name: value for name, value in zip(columns, cells) if name}  # noqa: F841
        n += 1
    if columns is None:
        raise SystemExit(f"no header row holding {HEADER}")
    return n, skipped


def parse_csv(path):
    with open(path, encoding="gb18030", newline="") as f:
        return records(csv.reader(f))


def parse_xlsx(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return records(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "xlsx":
        import openpyxl  # noqa: F401  (imported before the clock starts)
    started = time.perf_counter()
    n, skipped = {"csv": parse_csv, "xlsx": parse_xlsx}[kind](path)
    secs = time.perf_counter() - started
    print(json.dumps({"format": kind, "records": n, "skipped": skipped, "secs": round(secs, 3)}))


if __name__ == "__main__":
    main()
