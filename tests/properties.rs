//! Property tests of what the server parses from clients: paths (percent-decoding and
//! routing), query strings, url-encoded forms and `Range` headers. None may panic, and
//! what was encoded decodes back.
//!
//! The normal run tries 64 cases per property. A dedicated run, of at least 100,000
//! cases each:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release --test properties
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

use httpserver::{collect_routes, get, App, Request, TestClient};
use proptest::prelude::*;
use proptest::test_runner::Config;

#[get("/p/<name>")]
async fn name_param(name: String) -> String {
    name
}

#[get("/rest/<path:rest>")]
async fn path_param(rest: String) -> String {
    rest
}

/// The content of the served file: 1000 distinct-enough bytes.
fn file_content() -> Vec<u8> {
    (0..1000u32).map(|i| (i % 251) as u8).collect()
}

/// One app and one runtime for all the cases of a run.
fn client() -> &'static (tokio::runtime::Runtime, TestClient) {
    static CLIENT: OnceLock<(tokio::runtime::Runtime, TestClient)> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("httpserver-properties-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("data.bin"), file_content()).expect("write the served file");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let app = App::new()
            .routes(collect_routes![name_param, path_param])
            .static_files("/files", dir);
        let client = app.test_client();
        (runtime, client)
    })
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Percent-encodes every byte but the unreserved ones (RFC 3986 2.3).
fn encode(text: &str, space_as_plus: bool) -> String {
    let mut out = String::new();
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' if space_as_plus => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Text a client may send in a path segment, once encoded: anything but NUL.
fn segment_text() -> impl Strategy<Value = String> {
    "[^\u{0}]{1,24}"
}

/// Raw request targets, valid URIs or not, with escapes good and bad.
fn raw_target() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9/._~-]{1,4}",
            "%[0-9a-fA-F]{2}",
            "%[0-9a-zA-Z%]{0,2}",
            Just("%00".to_owned()),
            Just("%2F".to_owned()),
            Just("..".to_owned()),
            "[!$&'()*+,;=:@]",
        ],
        0..12,
    )
    .prop_map(|parts| format!("/{}", parts.concat()))
}

fn status_of(target: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let (runtime, client) = client();
    runtime.block_on(async {
        let mut req = client.get(target);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let res = req.send().await;
        (res.status().as_u16(), res.bytes().to_vec())
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_encoded_segment_routes_back_to_its_text(text in segment_text()) {
        let (status, body) = status_of(&format!("/p/{}", encode(&text, false)), &[]);
        prop_assert_eq!(status, 200);
        prop_assert_eq!(String::from_utf8(body).unwrap_or_default(), text);
    }

    #[test]
    fn an_encoded_path_routes_back_to_its_text(parts in prop::collection::vec(segment_text(), 1..4)) {
        let target = parts.iter().map(|p| encode(p, false)).collect::<Vec<_>>().join("/");
        let (status, body) = status_of(&format!("/rest/{target}"), &[]);
        prop_assert_eq!(status, 200);
        // Encoded slashes stay inside their segment; the parameter is the decoded text.
        prop_assert_eq!(String::from_utf8(body).unwrap_or_default(), parts.join("/"));
    }

    #[test]
    fn any_target_gets_an_answer_never_a_panic(target in raw_target()) {
        prop_assume!(target.parse::<http::Uri>().is_ok());
        let (status, _) = status_of(&target, &[]);
        prop_assert!(matches!(status, 200 | 308 | 400 | 404), "{} -> {}", target, status);
        let path = Request::builder("GET", &target).build().path().to_owned();
        if target.contains("%00") {
            prop_assert_eq!(path, "");
        }
    }

    #[test]
    fn query_strings_decode_back_to_their_pairs(
        pairs in prop::collection::vec(("[^\u{0}]{0,8}", "[^\u{0}]{0,8}"), 0..6)
    ) {
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k, true), encode(v, true)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::builder("GET", &format!("/?{query}")).build();
        let mut want: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in &pairs {
            want.entry(k.clone()).or_default().push(v.clone());
        }
        // `k=` and a lone `=` pairs with an empty key are as form_urlencoded reads them.
        want.retain(|k, _| !k.is_empty());
        let mut got = req.query_params().clone();
        got.retain(|k, _| !k.is_empty());
        prop_assert_eq!(got, want);
    }

    #[test]
    fn any_query_string_parses_without_a_panic(
        query in "([a-zA-Z0-9&=+;,/?:@!$'()*._~-]|%[0-9a-fA-F]{0,2}){0,40}"
    ) {
        let target = format!("/?{query}");
        prop_assume!(target.parse::<http::Uri>().is_ok());
        let req = Request::builder("GET", &target).build();
        let _ = req.query_params();
        let _ = req.query("a");
    }

    #[test]
    fn forms_decode_back_to_their_fields(
        fields in prop::collection::vec(("[a-z]{1,6}", "[^\u{0}]{0,12}"), 0..6)
    ) {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k, true), encode(v, true)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::builder("POST", "/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .build();
        let mut want: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in &fields {
            want.entry(k.clone()).or_default().push(v.clone());
        }
        prop_assert_eq!(req.form().ok(), Some(want));
    }

    #[test]
    fn any_form_body_is_a_map_or_a_400(body in prop::collection::vec(any::<u8>(), 0..64)) {
        let req = Request::builder("POST", "/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .build();
        if let Err(e) = req.form() {
            prop_assert_eq!(e.status().as_u16(), 400);
        }
    }

    #[test]
    fn any_range_header_is_206_200_or_416(header in "[ -~]{0,24}") {
        prop_assume!(http::HeaderValue::from_str(&header).is_ok());
        let (status, body) = status_of("/files/data.bin", &[("range", &header)]);
        prop_assert!(matches!(status, 200 | 206 | 416), "{:?} -> {}", header, status);
        if status == 200 {
            prop_assert_eq!(body, file_content());
        }
    }

    #[test]
    fn a_satisfiable_range_is_exactly_those_bytes(start in 0u64..1200, len in 0u64..1200) {
        let end = start + len;
        let (status, body) = status_of("/files/data.bin", &[("range", &format!("bytes={start}-{end}"))]);
        let content = file_content();
        if start >= content.len() as u64 {
            prop_assert_eq!(status, 416);
        } else {
            let last = end.min(content.len() as u64 - 1) as usize;
            prop_assert_eq!(status, 206);
            prop_assert_eq!(body, content[start as usize..=last].to_vec());
        }
    }

    #[test]
    fn a_suffix_range_is_the_last_bytes(n in 1u64..2000) {
        let (status, body) = status_of("/files/data.bin", &[("range", &format!("bytes=-{n}"))]);
        let content = file_content();
        let from = content.len().saturating_sub(n as usize);
        prop_assert_eq!(status, 206);
        prop_assert_eq!(body, content[from..].to_vec());
    }
}
