"""External sources: HTTP fetching with retries, and one parser per API."""
