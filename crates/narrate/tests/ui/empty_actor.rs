fn main() {
    narrate::info!(actor = "", "shipped");
}
