//! File uploads: an HTML form with a file input, files streamed to disk under safe names,
//! listed and downloadable. On http://127.0.0.1:8006.
//!
//! ```text
//! cargo run --example upload            # files go to $UPLOAD_DIR, else ./uploads
//! curl -F 'note=hi' -F 'file=@Cargo.toml' localhost:8006/upload
//! curl localhost:8006/files/Cargo.toml
//! ```

use std::path::{Path, PathBuf};

use httpserver::{
    collect_routes, get, post, secure_filename, url_for, App, FileResponse, Html, HttpError,
    Multipart, State,
};
use serde_json::{json, Value};

/// Where uploads go.
pub struct UploadDir(pub PathBuf);

/// The largest upload this route takes; every other route keeps the app's 1 MiB.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

#[get("/")]
async fn index(dir: State<UploadDir>) -> Result<Html<String>, HttpError> {
    let files = list(&dir.0).await?;
    let items: String = files
        .iter()
        .map(|name| {
            let href = url_for!(download, name = name);
            format!("<li><a href=\"{href}\">{}</a></li>", escape(name))
        })
        .collect();
    Ok(Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Uploads</title></head><body>\
         <h1>Uploads</h1>\
         <form id=\"form\" method=\"post\" action=\"{}\" enctype=\"multipart/form-data\">\
         <input name=\"note\" id=\"note\" placeholder=\"a note\"> \
         <input type=\"file\" name=\"file\" id=\"file\" multiple> <button id=\"send\">Upload</button></form>\
         <ul id=\"files\">{items}</ul></body></html>",
        url_for!(upload)
    )))
}

#[post("/upload", max_body_size = MAX_UPLOAD)]
async fn upload(dir: State<UploadDir>, mut form: Multipart) -> Result<Value, HttpError> {
    let mut saved = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        match field.file_name().map(secure_filename) {
            Some(name) => {
                let bytes = field.save_to(dir.0.join(&name)).await?; // streamed to disk
                saved.push(json!({"field": field.name(), "file": name, "bytes": bytes}));
            }
            None => saved.push(json!({"field": field.name(), "value": field.text().await?})),
        }
    }
    Ok(json!({"saved": saved}))
}

#[get("/files")]
async fn files(dir: State<UploadDir>) -> Result<Value, HttpError> {
    Ok(json!({"files": list(&dir.0).await?}))
}

#[get("/files/<name>")]
async fn download(dir: State<UploadDir>, name: String) -> FileResponse {
    // `name` comes from the client: from_dir keeps it inside the upload directory.
    FileResponse::from_dir(&dir.0, &name).with_download_name(name)
}

async fn list(dir: &Path) -> Result<Vec<String>, HttpError> {
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await.map_err(|e| {
        tracing::error!(dir = %dir.display(), error = %e, "upload directory unreadable");
        HttpError::new(500, "Internal Server Error")
    })?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        if entry.file_type().await.is_ok_and(|t| t.is_file()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn app(dir: PathBuf) -> App {
    App::new()
        .state(UploadDir(dir))
        .routes(collect_routes![index, upload, files, download])
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let dir =
        std::env::var_os("UPLOAD_DIR").map_or_else(|| PathBuf::from("uploads"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    app(dir).run("127.0.0.1:8006")
}

#[cfg(test)]
mod tests {
    use super::app;
    use httpserver::TestMultipart;
    use serde_json::Value;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("httpserver-upload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[tokio::test]
    async fn upload_list_and_download() {
        let dir = scratch("example");
        let client = app(dir.clone()).test_client();
        let form = TestMultipart::new()
            .text("note", "holiday photos")
            .file("file", "beach.txt", "text/plain", "sand and sea")
            .file("file", "../../evil.sh", "text/x-sh", "rm -rf /");
        let res = client.post("/upload").multipart(form).send().await;
        assert_eq!(res.status(), 200, "{}", res.text());
        let saved: Value = res.json();
        assert_eq!(saved["saved"][0]["value"], "holiday photos");
        assert_eq!(saved["saved"][1]["file"], "beach.txt");
        assert_eq!(saved["saved"][1]["bytes"], 12);
        assert_eq!(
            saved["saved"][2]["file"], "evil.sh",
            "no way out of the directory"
        );
        assert!(dir.join("evil.sh").exists());

        let listed: Value = client.get("/files").send().await.json();
        assert_eq!(listed["files"], serde_json::json!(["beach.txt", "evil.sh"]));
        let page = client.get("/").send().await.text();
        assert!(
            page.contains("<a href=\"/files/beach.txt\">beach.txt</a>"),
            "{page}"
        );
        let file = client.get("/files/beach.txt").send().await;
        assert_eq!(file.text(), "sand and sea");
        assert!(file
            .header("content-disposition")
            .unwrap_or_default()
            .contains("beach.txt"));
        assert_eq!(
            client
                .get("/files/..%2F..%2Fetc%2Fpasswd")
                .send()
                .await
                .status(),
            404
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
