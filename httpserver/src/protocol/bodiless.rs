//! Which responses HTTP sends without a body: none answers HEAD, and a 1xx, 204 or 304
//! response never has one (RFC 9110 §6.4.1, §9.3.2).

use http::{Method, StatusCode};

/// Whether a response with `status` has no content, whatever the request.
pub(crate) fn status_forbids_content(status: StatusCode) -> bool {
    status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
}

/// Whether the response to a `method` request with `status` goes on the wire without
/// its body.
pub(crate) fn sends_no_body(method: &Method, status: StatusCode) -> bool {
    *method == Method::HEAD || status_forbids_content(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_the_statuses_without_content() {
        for status in [101, 103, 204, 304] {
            let status = StatusCode::from_u16(status).expect("a status");
            assert!(status_forbids_content(status), "{status}");
            assert!(sends_no_body(&Method::GET, status), "{status}");
        }
        for status in [200, 201, 206, 301, 404, 500] {
            let status = StatusCode::from_u16(status).expect("a status");
            assert!(!status_forbids_content(status), "{status}");
            assert!(!sends_no_body(&Method::GET, status), "{status}");
            assert!(sends_no_body(&Method::HEAD, status), "{status}");
        }
    }
}
