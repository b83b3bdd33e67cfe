"""Outputs of an audit: terminal summary, JSON document (with its schema), CSV and PDF."""

from audit.report.csv_files import CSV_FILES, csv_tables, write_csv
from audit.report.document import REPORT_FORMAT, load_schema, to_json_bytes, to_json_document
from audit.report.pdf import render_pdf, write_pdf
from audit.report.terminal import ProgressBar, terminal_summary

__all__ = [
    "CSV_FILES",
    "REPORT_FORMAT",
    "ProgressBar",
    "csv_tables",
    "load_schema",
    "render_pdf",
    "terminal_summary",
    "to_json_bytes",
    "to_json_document",
    "write_csv",
    "write_pdf",
]
