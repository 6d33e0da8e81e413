"""Problems and simulators, one folder per family; nothing here learns."""
