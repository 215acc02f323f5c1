//! An upload far over a route's limit, from the clients users have: Python's `requests`,
//! Node's `fetch` and curl each send 9, 64 and 200 MiB to a route limited to 8 MiB, and
//! each must read the 413 (not a reset). They read the answer only once the upload is
//! sent, so the server keeps reading, and discarding, until then: the lingering close is
//! bounded by time (30 s, as nginx's), not by bytes.
//!
//! Needs `python3` with `requests`, `node` (20 or later, for `fetch`) and `curl`.

use std::process::Command;

use httpserver::{collect_routes, post, App, Request};
use httpserver_suite::TestServer;

const MIB: usize = 1024 * 1024;

#[post("/upload", max_body_size = 8 * 1024 * 1024)]
async fn upload(req: Request) -> String {
    req.body().len().to_string()
}

const PYTHON: &str = r#"
import sys, requests
url, size, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
payload = b"x" * size
body = payload
if how == "chunked":
    # A generator: sent with Transfer-Encoding: chunked, no length declared.
    body = (payload[i:i + 65536] for i in range(0, size, 65536))
r = requests.post(url, data=body, headers={"Content-Type": "application/octet-stream"})
print(r.status_code, r.text)
"#;

const NODE: &str = r#"
const [url, size] = process.argv.slice(2);
fetch(url, { method: "POST", body: Buffer.alloc(Number(size), 120) })
  .then(async (r) => console.log(r.status, await r.text()))
  .catch((e) => { console.log("error", e.cause ? e.cause.code : e.message); process.exit(1); });
"#;

/// What `program args…` printed, or why it failed.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("this test needs {program}: {e}"));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_far_over_the_limit_read_their_413_in_every_client() {
    let server =
        TestServer::start(App::new().routes(collect_routes![upload]).access_log(false)).await;
    let url = format!("http://{}/upload", server.addr);
    let dir = std::env::temp_dir().join(format!("httpserver-uploaders-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let python = dir.join("upload.py");
    let node = dir.join("upload.js");
    std::fs::write(&python, PYTHON).expect("write script");
    std::fs::write(&node, NODE).expect("write script");
    let (python, node) = (python.display().to_string(), node.display().to_string());

    let results = tokio::task::spawn_blocking(move || {
        let mut results = Vec::new();
        for size in [9 * MIB, 64 * MIB, 200 * MIB] {
            let n = size.to_string();
            let file = dir.join("payload.bin");
            std::fs::write(&file, vec![b'x'; size]).expect("write payload");
            let at_file = format!("@{}", file.display());
            let curl = run(
                "curl",
                &[
                    "-sS",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    "Content-Type: application/octet-stream",
                    "--data-binary",
                    &at_file,
                    &url,
                ],
            );
            results.push((format!("curl {n}"), curl));
            for how in ["length", "chunked"] {
                let answer = run("python3", &[&python, &url, &n, how]);
                results.push((format!("requests {n} {how}"), answer));
            }
            let chunked = run(
                "curl",
                &[
                    "-sS",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    "Transfer-Encoding: chunked",
                    "--data-binary",
                    &at_file,
                    &url,
                ],
            );
            results.push((format!("curl {n} chunked"), chunked));
            results.push((format!("fetch {n}"), run("node", &[&node, &url, &n])));
        }
        let _ = std::fs::remove_dir_all(&dir);
        results
    })
    .await
    .expect("the clients ran");
    for (client, answer) in &results {
        assert!(
            answer.starts_with("413"),
            "{client}: expected its 413, got {answer:?}"
        );
    }
    // Within the limit the same route answers.
    let res = server.call("POST", "/upload", "12345").await;
    assert_eq!(res.text(), "5");
    server.stop().await.expect("clean stop");
}
