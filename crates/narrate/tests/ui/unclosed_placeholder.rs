fn main() {
    narrate::info!("Order {order_id shipped");
}
