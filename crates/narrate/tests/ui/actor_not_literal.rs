fn main() {
    let who = "orders";
    narrate::info!(actor = who, "shipped");
}
