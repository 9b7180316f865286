#[narrate::trace_fn(skip(pasword))]
fn login(user: &str, password: &str) -> bool {
    user.len() > password.len()
}

fn main() {
    login("a", "b");
}
