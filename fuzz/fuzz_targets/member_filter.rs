//! Any bytes as the member list's query string (pages, API, exports and saved segments
//! all read it), and as a paging cursor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rosette::domain::filter::{Cursor, MemberFilter};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes) {
        if let Ok(filter) = MemberFilter::parse(&pairs) {
            // A saved segment is stored as its pairs and read back: it must read the same.
            let again: Vec<(String, String)> = filter
                .to_pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            assert_eq!(MemberFilter::parse(&again).ok(), Some(filter));
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = Cursor::decode(text);
    }
});
