fn main() {
    let a = 1u32;
    narrate::info!("{:z}", a);
}
