struct Opaque;
impl std::fmt::Display for Opaque {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("opaque")
    }
}

fn main() {
    let o = Opaque;
    narrate::info!("{:x}", o);
}
