"""Fault injection: casts through a real server while workers die and connections are cut."""
