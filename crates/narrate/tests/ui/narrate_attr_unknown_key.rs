#[narrate::attributes::narrate(humane = "Dispatched")]
fn dispatch() {}

fn main() {
    dispatch();
}
