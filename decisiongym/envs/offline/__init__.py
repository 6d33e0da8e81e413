"""Offline data shared by the families that read it: logged bandit feedback (the record, the
Open Bandit Dataset's CSV layout, a simulator with known truth), and the offline preference
datasets to come. Estimators that evaluate policies from these logs live in ``bench/``."""
