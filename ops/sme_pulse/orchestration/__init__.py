"""What the DAGs call: task bodies without Airflow imports, and the Cosmos wiring."""
