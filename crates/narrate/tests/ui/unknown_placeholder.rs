fn main() {
    let order = 7u64;
    narrate::info!("Order {order_id} shipped", order);
}
