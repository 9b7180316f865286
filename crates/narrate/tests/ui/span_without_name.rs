fn main() {
    let _s = narrate::info_span!(id = 5u64);
}
