//! Turning the bytes of a member file into a header and rows, with every reason a file
//! cannot be read said in terms of the file.

/// Longest value a cell may hold; anything longer is a mistake (or an attack).
pub const MAX_FIELD_CHARS: usize = 1_000;

/// A file read as a table: its header and each row with its spreadsheet row number.
#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    /// Each record keeps its cells in one buffer: a national file is half a million rows
    /// of 25 cells, too many to give each cell an allocation of its own.
    pub rows: Vec<(usize, csv::StringRecord)>,
}

/// Reads CSV text. UTF-8 with or without a byte-order mark, CRLF or LF; the separator is
/// whichever of comma, semicolon or tab the header uses most.
pub fn read_table(bytes: &[u8]) -> Result<Table, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err("this is a spreadsheet workbook (.xlsx), not CSV: save it as \"CSV UTF-8\" and import that".into());
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err("this is an old Excel workbook (.xls), not CSV: save it as \"CSV UTF-8\" and import that".into());
    }
    if is_utf16(bytes) {
        return Err("the text is UTF-16 (Excel's \"Unicode Text\"), not UTF-8: save it as \"CSV UTF-8\" and import that".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("the file is empty: expected a header row, then one row per person".into());
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(format!(
            "row {}: the file has binary data (a NUL byte), so it is not a CSV text file",
            line_of(bytes, at)
        ));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(format!(
            "row {}: the text is not UTF-8 (perhaps saved as \"CSV\" from an old Excel); save it as \"CSV UTF-8\"",
            line_of(bytes, e.valid_up_to())
        ));
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|h| h.trim().to_string()).collect(),
        Some(Err(e)) => return Err(format!("row 1: {e}")),
        None => return Err("the file is empty: expected a header row".into()),
    };
    if headers.iter().any(|h| h.chars().count() > MAX_FIELD_CHARS) {
        return Err(format!(
            "row 1: a header is longer than {MAX_FIELD_CHARS} characters; is this really a member file?"
        ));
    }
    let numbers = record_rows(bytes);
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let row = numbers.get(i + 1).copied().unwrap_or(i + 2);
        let record = record.map_err(|e| format!("row {row}: cannot be read as CSV: {e}"))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows.push((row, record));
    }
    Ok(Table { headers, rows })
}

/// UTF-16 text: a byte-order mark, or (without one) a NUL beside nearly every ASCII
/// character of its first line.
fn is_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let head = &bytes[..bytes.len().min(200)];
    let pairs = head.len() / 2;
    let nul_halves = head
        .chunks_exact(2)
        .filter(|p| (p[0] == 0) != (p[1] == 0))
        .count();
    pairs >= 4 && nul_halves * 10 >= pairs * 9
}

/// The spreadsheet row number of each record the CSV reader will yield. A spreadsheet
/// shows a record as one row however many lines its quoted cells span, and shows an empty
/// line (which the reader skips) as an empty row, so both are counted that way here.
fn record_rows(bytes: &[u8]) -> Vec<usize> {
    let mut rows = Vec::new();
    let (mut row, mut quoted, mut content) = (0, false, false);
    for &b in bytes {
        match b {
            b'"' => {
                quoted = !quoted;
                content = true;
            }
            b'\n' if !quoted => {
                row += 1;
                if content {
                    rows.push(row);
                }
                content = false;
            }
            b'\r' => {}
            _ => content = true,
        }
    }
    if content {
        rows.push(row + 1);
    }
    rows
}

fn line_of(bytes: &[u8], at: usize) -> usize {
    1 + bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_files_are_named_as_such() {
        let text = "membership_number,first_name\nL1,Ada\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (what, bytes) in [
            ("LE with a mark", [&b"\xFF\xFE"[..], &le].concat()),
            ("BE with a mark", [&b"\xFE\xFF"[..], &be].concat()),
            ("LE without one", le.clone()),
            ("BE without one", be.clone()),
        ] {
            let e = read_table(&bytes).expect_err(what);
            assert!(e.contains("UTF-16"), "{what}: {e}");
        }
        let e = read_table(b"a,b\n1,\x002\n").expect_err("a NUL in UTF-8 text");
        assert!(e.contains("NUL"), "{e}");
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let t = read_table(
            b"\xEF\xBB\xBFmembership_number,first_name\r\nL1,Ada\r\n\r\nL2,\"Grace, Jr\"\r\n",
        )
        .expect("reads");
        assert_eq!(t.headers, vec!["membership_number", "first_name"]);
        let rows: Vec<(usize, Vec<&str>)> = t
            .rows
            .iter()
            .map(|(n, r)| (*n, r.iter().collect()))
            .collect();
        assert_eq!(
            rows,
            vec![(2, vec!["L1", "Ada"]), (4, vec!["L2", "Grace, Jr"])]
        );
    }

    #[test]
    fn semicolons_and_tabs_are_detected() {
        assert_eq!(
            read_table(b"a;b;c\n1;2;3\n").expect("semicolons").rows[0]
                .1
                .len(),
            3
        );
        assert_eq!(
            read_table(b"a\tb\n1\t2\n").expect("tabs").rows[0].1,
            vec!["1", "2"]
        );
    }

    #[test]
    fn files_that_are_not_csv_say_so() {
        assert!(read_table(b"").expect_err("empty").contains("empty"));
        assert!(read_table(b" \r\n ").expect_err("blank").contains("empty"));
        assert!(
            read_table(b"PK\x03\x04rest")
                .expect_err("xlsx")
                .contains(".xlsx")
        );
        assert!(
            read_table(b"\xD0\xCF\x11\xE0rest")
                .expect_err("xls")
                .contains(".xls")
        );
        assert!(
            read_table(b"a,b\n1,\x002\n")
                .expect_err("nul")
                .starts_with("row 2")
        );
        let latin1 = read_table(b"a,b\nx,y\nPrice,\xA35\n").expect_err("latin-1");
        assert!(
            latin1.starts_with("row 3") && latin1.contains("UTF-8"),
            "{latin1}"
        );
    }

    #[test]
    fn quoted_newlines_keep_spreadsheet_row_numbers_by_record() {
        let t = read_table(b"a,b\n1,\"two\nlines\"\n3,4\n").expect("reads");
        assert_eq!(t.rows[1].0, 3);
    }
}
