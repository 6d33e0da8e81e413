"""SoC scheduling: streaming task-DAG jobs on heterogeneous processing elements."""
