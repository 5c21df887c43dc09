//! Plan templates: versioned TOML data files describing a plan's sections and table schema.
