"""Rolls and voting members, ballots, credentials, casting, tally rules, receipts, publication."""
