//! The start-up route table names each handler with its module path, as it was listed
//! (`api::tasks::list`) or as its `#[group]` module holds it. Alone in its binary: it reads
//! the log through a subscriber installed for the test.

use httpserver::{collect_routes, get, group, App};
use httpserver_suite::{logged, TestServer};

mod api {
    pub mod tasks {
        #[httpserver::get("/api/tasks")]
        pub async fn list() -> &'static str {
            "tasks"
        }
    }
}

#[get("/")]
async fn home() -> &'static str {
    "home"
}

#[group("/admin")]
mod admin {
    use httpserver::get;

    #[get("/users")]
    pub async fn users() -> &'static str {
        "users"
    }
}

#[tokio::test]
async fn the_start_up_table_names_handlers_with_their_module_path() {
    let ((), log) = logged("httpserver::server=info", async {
        let app = App::new()
            .routes(collect_routes![home, api::tasks::list])
            .group(admin::group());
        TestServer::start(app)
            .await
            .stop()
            .await
            .expect("clean stop");
    })
    .await;
    let row = |path: &str| {
        log.lines()
            .find(|l| l.contains(&format!(" {path} ")))
            .unwrap_or_else(|| panic!("no row for {path}:\n{log}"))
            .trim_end()
            .to_owned()
    };
    assert!(row("/api/tasks").ends_with(" api::tasks::list"), "{log}");
    assert!(row("/admin/users").ends_with(" admin::users"), "{log}");
    assert!(row("/").ends_with(" home"), "{log}");
}
