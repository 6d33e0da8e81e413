"""Job-shop scheduling: instances, simulator and environments."""
