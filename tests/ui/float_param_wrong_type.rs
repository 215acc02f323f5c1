use httpserver::get;

#[get("/products/<float:price>")]
async fn by_price(price: i64) -> String {
    price.to_string()
}

fn main() {}
