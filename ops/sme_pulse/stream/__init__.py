"""Order events as a stream: the Kafka contract, the feed producer and the bronze consumer."""
