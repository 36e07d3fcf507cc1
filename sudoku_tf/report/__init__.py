"""The attention report of a Sudoku model: what each head looks at (`analysis`), drawn
(`charts`), the example puzzle pass by pass and decoded (`example`), on one
self-contained HTML page with its numbers as JSON (`page`, styled by `page.css`,
`page.js`)."""

from .page import Report, build_report, format_table, parse_cell

__all__ = ["Report", "build_report", "format_table", "parse_cell"]
