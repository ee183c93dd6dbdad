"""The PostgreSQL database backend (``ENGINE = "registry.postgresql"``): Django's, with bounded waits."""
