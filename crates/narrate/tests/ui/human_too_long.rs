fn main() {
    narrate::warn!("This human text rambles on and on, well past the editorial limit that keeps log lines short and scannable");
}
