//! Cross-site request forgery protection, on every transport: what is checked (unsafe
//! methods, form-like bodies), where the token may come (form field, header, a multipart
//! form's first part, streamed or read whole), the browser's `Sec-Fetch-Site` and `Origin`,
//! exemptions, and the refusal going through the app's error handlers.

use httpserver::{
    collect_routes, get, group, post, App, Csrf, HttpError, Multipart, Request, Response, Session,
};
use httpserver_suite::{on_every_transport, Client, HttpResponse, Transport};

const KEY: &str = "a csrf test secret of at least 32 bytes";

#[get("/csrf-token")]
async fn csrf_token(session: Session) -> Result<String, HttpError> {
    session.csrf_token()
}

#[post("/notes")]
async fn create_note(req: Request) -> String {
    format!("created {}", req.text().unwrap_or_default())
}

#[httpserver::delete("/notes/<int:id>")]
async fn delete_note(id: i64) -> String {
    format!("deleted {id}")
}

#[post("/upload")]
async fn upload(mut form: Multipart) -> Result<String, HttpError> {
    let mut names = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        let name = field.name().unwrap_or("?").to_owned();
        let text = field.text().await?;
        names.push(format!("{name}={}", text.len()));
    }
    Ok(format!("fields {}", names.join(",")))
}

#[post("/hooks/payment", csrf = false)]
async fn webhook() -> &'static str {
    "webhook taken"
}

#[group("/api")]
mod api {
    use httpserver::post;

    #[post("/ping")]
    pub async fn ping() -> &'static str {
        "pong"
    }
}

/// Every 403 as the app's own page, so a test sees the refusal went through it.
async fn forbidden(_req: Request, error: HttpError) -> Response {
    Response::new(format!("app's 403 page: {}", error.message())).with_status(403)
}

fn app(csrf: Csrf) -> App {
    App::new()
        .secret_key(KEY)
        .csrf(csrf)
        .routes(collect_routes![
            csrf_token,
            create_note,
            delete_note,
            upload,
            webhook
        ])
        .group(api::group().without_csrf())
        .error_handler(403, forbidden)
        .access_log(false)
}

/// A session and a token of it, as a page's script holds them after its first request.
async fn session_and_token(client: &Client) -> (String, String) {
    let res = client.get("/csrf-token").await;
    res.assert_status(200);
    let cookie = res
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("session="))
        .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no session cookie in {res:?}"));
    (cookie, res.text())
}

async fn post(client: &Client, path: &str, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    client.call_with("POST", path, headers, body).await
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// The token is needed in the form or the header, and a refusal is the app's 403 page.
async fn a_form_post_needs_the_sessions_token(t: Transport) {
    let client = Client::start(app(Csrf::new()), t).await;
    let (cookie, token) = session_and_token(&client).await;
    let with_cookie = [("cookie", cookie.as_str()), FORM];

    let res = post(&client, "/notes", &with_cookie, "text=hi").await;
    assert_eq!(res.status, 403, "{t:?}");
    assert!(
        res.text()
            .starts_with("app's 403 page: CSRF check failed: the CSRF token is missing"),
        "{t:?}: {}",
        res.text()
    );

    let body = format!("text=hi&csrf_token={token}");
    let res = post(&client, "/notes", &with_cookie, &body).await;
    assert_eq!(res.text(), format!("created {body}"), "{t:?}");

    let headers = [("cookie", cookie.as_str()), FORM, ("x-csrf-token", &token)];
    let res = post(&client, "/notes", &headers, "text=hi").await;
    assert_eq!(res.text(), "created text=hi", "{t:?}");

    // Any of the form-like types, or none: all are checked.
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "TEXT/PLAIN; charset=utf-8",
    ] {
        let headers = [("cookie", cookie.as_str()), ("content-type", content_type)];
        let res = post(&client, "/notes", &headers, "x").await;
        assert_eq!(res.status, 403, "{t:?} {content_type}");
    }
    let res = post(&client, "/notes", &[("cookie", &cookie)], "").await;
    assert_eq!(res.status, 403, "{t:?} a POST with no content type");
    // PUT, PATCH and DELETE need a CORS preflight cross-origin unless their body is
    // form-like.
    let res = client
        .call_with("DELETE", "/notes/1", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(res.text(), "deleted 1", "{t:?} DELETE without a body type");
    let res = client
        .call_with("DELETE", "/notes/1", &with_cookie, "")
        .await;
    assert_eq!(res.status, 403, "{t:?} DELETE with a form type");

    // JSON needs a CORS preflight cross-site: not checked.
    let json = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/json"),
    ];
    let res = post(&client, "/notes", &json, "{}").await;
    assert_eq!(res.text(), "created {}", "{t:?}");
    client.stop().await;
}

/// A token is good for its own session only, and a garbled one is refused.
async fn a_token_from_another_session_is_refused(t: Transport) {
    let client = Client::start(app(Csrf::new()), t).await;
    let (mine, _) = session_and_token(&client).await;
    // Another client (in process, the test client keeps one session per client).
    let other = Client::start(app(Csrf::new()), t).await;
    let (_, theirs) = session_and_token(&other).await;
    other.stop().await;
    for token in [theirs.as_str(), "garbage", ""] {
        let headers = [("cookie", mine.as_str()), FORM, ("x-csrf-token", token)];
        let res = post(&client, "/notes", &headers, "text=hi").await;
        assert_eq!(res.status, 403, "{t:?} {token:?}");
        assert!(
            res.text().contains("does not match this session"),
            "{}",
            res.text()
        );
    }
    client.stop().await;
    // No session at all (a fresh client): refused, saying so.
    let fresh = Client::start(app(Csrf::new()), t).await;
    let headers = [FORM, ("x-csrf-token", theirs.as_str())];
    let res = post(&fresh, "/notes", &headers, "text=hi").await;
    assert!(
        res.text().contains("this session has no CSRF token yet"),
        "{}",
        res.text()
    );
    fresh.stop().await;
}

/// What the browser says of where the request comes from.
async fn the_browsers_word_on_the_origin_is_checked(t: Transport) {
    let trusted = Csrf::new().trust_origin("https://admin.example.com/");
    let client = Client::start(app(trusted), t).await;
    let (cookie, token) = session_and_token(&client).await;
    let send = |extra: Vec<(&'static str, String)>| {
        let (cookie, token, client) = (cookie.clone(), token.clone(), &client);
        async move {
            let mut headers = vec![
                ("cookie".to_owned(), cookie),
                ("content-type".to_owned(), FORM.1.to_owned()),
                ("x-csrf-token".to_owned(), token),
            ];
            headers.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
            let refs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post(client, "/notes", &refs, "text=hi").await
        }
    };
    for (site, ok) in [
        ("same-origin", true),
        ("none", true),
        ("same-site", false),
        ("cross-site", false),
    ] {
        let res = send(vec![("sec-fetch-site", site.to_owned())]).await;
        assert_eq!(
            res.status == 200,
            ok,
            "{t:?} Sec-Fetch-Site: {site}: {}",
            res.text()
        );
    }
    let res = send(vec![("sec-fetch-site", "cross-site".to_owned())]).await;
    assert!(
        res.text().contains(
            "CSRF check failed: the request comes from another site (Sec-Fetch-Site: cross-site)"
        ),
        "{}",
        res.text()
    );
    // Without Sec-Fetch-Site, Origin must name this host.
    let res = send(vec![("origin", "http://evil.example".to_owned())]).await;
    assert_eq!(res.status, 403, "{t:?}");
    assert!(
        res.text().contains("(Origin: http://evil.example)"),
        "{}",
        res.text()
    );
    let res = send(vec![("origin", "null".to_owned())]).await;
    assert_eq!(res.status, 403, "{t:?} Origin: null");
    // Every transport of the suite sends `Host: test` (`:authority` over HTTP/2).
    for same in ["http://test", "https://test", "http://TEST:80"] {
        let res = send(vec![("origin", same.to_owned())]).await;
        assert_eq!(res.status, 200, "{t:?} Origin: {same}: {}", res.text());
    }
    let res = send(vec![("origin", "http://test:8080".to_owned())]).await;
    assert_eq!(res.status, 403, "{t:?} another port is another origin");
    // A trusted origin passes even where the browser says cross-site, but still needs
    // the token.
    let trusted = vec![
        ("origin", "https://admin.example.com".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
    ];
    assert_eq!(send(trusted).await.status, 200, "{t:?}");
    let headers = [
        ("cookie", cookie.as_str()),
        FORM,
        ("origin", "https://admin.example.com"),
    ];
    assert_eq!(
        post(&client, "/notes", &headers, "text=hi").await.status,
        403
    );
    client.stop().await;
}

/// A multipart form carries the token as its first field: read ahead for a streamed
/// handler, which still sees every field; a token further down is not looked for.
async fn a_multipart_forms_first_field_carries_the_token(t: Transport) {
    let client = Client::start(app(Csrf::new()), t).await;
    let (cookie, token) = session_and_token(&client).await;
    let boundary = "XyZ";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let part = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let big = "b".repeat(100_000);
    let body = format!(
        "{}{}{}--{boundary}--\r\n",
        part("csrf_token", &token),
        part("title", "holiday"),
        part("photo", &big)
    );
    let headers = [
        ("cookie", cookie.as_str()),
        ("content-type", content_type.as_str()),
    ];
    let res = post(&client, "/upload", &headers, &body).await;
    assert_eq!(
        res.text(),
        "fields csrf_token=86,title=7,photo=100000",
        "{t:?}: the handler reads the whole form, token included"
    );
    // The route that reads the body whole takes the same form.
    let res = post(&client, "/notes", &headers, &body).await;
    assert_eq!(res.status, 200, "{t:?}");

    let late = format!(
        "{}{}--{boundary}--\r\n",
        part("title", "holiday"),
        part("csrf_token", &token)
    );
    for path in ["/upload", "/notes"] {
        let res = post(&client, path, &headers, &late).await;
        assert_eq!(res.status, 403, "{t:?} {path}: the token must come first");
    }
    client.stop().await;
}

/// Safe methods, exempt routes and groups, and apps that turned the check off are not
/// checked; nor is an app without sessions.
async fn exemptions_and_safe_methods_are_not_checked(t: Transport) {
    let client = Client::start(app(Csrf::new()), t).await;
    let res = post(&client, "/hooks/payment", &[FORM], "id=1").await;
    assert_eq!(res.text(), "webhook taken", "{t:?} csrf = false");
    let res = post(&client, "/api/ping", &[FORM], "").await;
    assert_eq!(res.text(), "pong", "{t:?} Group::without_csrf");
    assert_eq!(client.get("/csrf-token").await.status, 200);
    client.stop().await;

    let client = Client::start(app(Csrf::disabled()), t).await;
    let res = post(&client, "/notes", &[FORM], "text=hi").await;
    assert_eq!(res.text(), "created text=hi", "{t:?} Csrf::disabled");
    client.stop().await;

    let no_sessions = App::new()
        .routes(collect_routes![create_note])
        .access_log(false);
    let client = Client::start(no_sessions, t).await;
    let res = post(&client, "/notes", &[FORM], "text=hi").await;
    assert_eq!(res.text(), "created text=hi", "{t:?} no secret key");
    client.stop().await;
}

on_every_transport!(
    a_form_post_needs_the_sessions_token,
    a_token_from_another_session_is_refused,
    the_browsers_word_on_the_origin_is_checked,
    a_multipart_forms_first_field_carries_the_token,
    exemptions_and_safe_methods_are_not_checked
);

#[tokio::test]
async fn the_test_client_sends_the_token_on_request() {
    let client = app(Csrf::new()).test_client();
    let res = client.post("/notes").form(&[("text", "hi")]).send().await;
    assert_eq!(res.status(), 403);
    let res = client
        .post("/notes")
        .form(&[("text", "hi")])
        .with_csrf_token()
        .send()
        .await;
    assert_eq!(res.text(), "created text=hi");
}
