fn main() {
    narrate::error!(action = "  ", "failed");
}
