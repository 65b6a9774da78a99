"""The property register: communities, buildings, units, owners, areas, apportionment,
and personal-data protection."""
