fn main() {
    let a = 1u32;
    let w = 5usize;
    narrate::info!("{:>w$}", a, w = w);
}
