"""Shared helpers for uploaded text files: located problems, decoding, CSV rows, dates."""

import datetime as dt

import pytest
from django.utils import translation

from alliance.core.textfiles import (
    MAX_ISSUES,
    CellError,
    FileError,
    FileIssue,
    IssueList,
    clean_cell,
    decode_text,
    header_key,
    parse_french_date,
    plain_text,
    read_csv_rows,
)


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def test_issues_are_located_as_precisely_as_known():
    assert FileIssue("bad.", 3, 2, "ine").format("f.csv") == "f.csv, row 3, column 2 (ine): bad."
    assert FileIssue("bad.", 3, 2).format("f.csv") == "f.csv, row 3, column 2: bad."
    assert FileIssue("bad.", 3).format("f.csv") == "f.csv, row 3: bad."
    assert FileIssue("bad.").format("f.csv") == "f.csv: bad."


def test_issue_list_keeps_the_first_ones_and_counts_the_rest():
    issues = IssueList()
    issues.raise_if_any("f.csv")  # nothing to say
    for row in range(MAX_ISSUES + 5):
        issues.add(FileIssue("bad.", row + 2))
    with pytest.raises(FileError) as error:
        issues.raise_if_any("f.csv")
    assert len(error.value.issues) == MAX_ISSUES
    assert error.value.total == MAX_ISSUES + 5
    assert str(error.value).endswith("…and 5 more problems (only the first 20 are listed).")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeffnom;prénom\n".encode(), "UTF-8 (BOM)"),
        ("nom;prénom\n".encode(), "UTF-8"),
        ("nom;prénom\n".encode("cp1252"), "Windows-1252"),
    ],
)
def test_decoding(data, encoding):
    text, found = decode_text(data, "f.csv")
    assert (text.lstrip("\ufeff"), found) == ("nom;prénom\n", encoding)


def test_undecodable_bytes_are_located():
    with pytest.raises(FileError) as error:
        decode_text("nom;prénom\nLé;x\n".encode("cp1252").replace(b"x", b"\x81"), "f.csv")
    (issue,) = error.value.issues
    assert (issue.row, issue.column, issue.column_name) == (2, 2, "prénom")
    with pytest.raises(FileError, match="UTF-16"):
        decode_text("nom".encode("utf-16"), "f.csv")
    with pytest.raises(FileError, match="empty"):
        decode_text(b"\xef\xbb\xbf \r\n", "f.csv")


def test_loose_text_helpers():
    assert plain_text("  N’DIAYE--Cœur  ") == "n diaye coeur"
    assert header_key("Né(e)\u00a0le ") == "neele"
    assert header_key("Tél. Portable Repr. Lég.") == "telportablereprleg"
    assert clean_cell(" 4e\u00a0 B ") == "4e B"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05/03/2012", dt.date(2012, 3, 5)),
        ("5/3/2012", dt.date(2012, 3, 5)),
        ("2012-03-05", dt.date(2012, 3, 5)),
    ],
)
def test_french_dates(value, expected):
    assert parse_french_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2012", "not a valid date (expected JJ/MM/AAAA)"),
        ("05/03/12", "four digits"),
        ("March 5", "expected JJ/MM/AAAA"),
        ("", "a date is required"),
    ],
)
def test_french_date_errors_give_the_french_order(value, message):
    with pytest.raises(CellError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_french_date(value)


def test_csv_rows_keep_their_spreadsheet_numbers():
    text = '\ufeffa;b;c\r\n1;2;3\r\n;;\r\n"x;y";5;6\r\n'
    delimiter, header, rows = read_csv_rows(text, "f.csv")
    assert (delimiter, header) == (";", ["a", "b", "c"])
    assert rows == [(2, ["1", "2", "3"]), (4, ["x;y", "5", "6"])]
    assert read_csv_rows("a,b\n1,2\n", "f.csv")[0] == ","


def test_unreadable_csv_row_is_raised_or_collected():
    text = 'a;b\n1;2\n"3;4\n'
    with pytest.raises(FileError, match="row 3: the row could not be read"):
        read_csv_rows(text, "f.csv")
    issues = IssueList()
    _delimiter, _header, rows = read_csv_rows(text, "f.csv", issues=issues)
    assert rows == [(2, ["1", "2"])]
    assert issues.total == 1
    with pytest.raises(FileError, match="row 1 is empty"):
        read_csv_rows("\n1;2\n", "f.csv")
