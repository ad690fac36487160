"""The commands of the `bayling-data` command line, one module per group; `bayling_data.cli` assembles them."""
