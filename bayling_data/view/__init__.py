"""`bayling-data view`: a local, read-only web page over an output folder."""
