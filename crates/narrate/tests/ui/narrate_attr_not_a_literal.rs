#[narrate::attributes::narrate(actor = orders, human = "Dispatched")]
fn dispatch() {}

fn main() {
    dispatch();
}
