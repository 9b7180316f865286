fn main() {
    let a = 1u32;
    narrate::info!("only {}", a, a + 1);
}
