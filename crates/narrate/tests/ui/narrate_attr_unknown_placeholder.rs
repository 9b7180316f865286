#[narrate::attributes::narrate(action = "dispatch", human = "Dispatched job {job} to {worker}")]
fn dispatch(job_id: u64, worker: &str) {
    let _ = (job_id, worker);
}

fn main() {
    dispatch(1, "w");
}
