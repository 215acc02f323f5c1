use httpserver::get;

#[get("/files/<path:rest>/edit")]
async fn edit(rest: String) -> String {
    rest
}

fn main() {}
