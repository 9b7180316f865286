fn main() {
    narrate::info!(level: "x", "hello");
}
