"""A receipt drafted before its log index is known, then signed, is exactly the receipt
``build_receipt`` makes from the same fields (same bytes signed, same canonical text)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.keys import KeyRing
from voting.receipts import ReceiptDraft, build_receipt, parse_receipt, signature_ok

RING = KeyRing("fundvote.test", Ed25519PrivateKey.generate())
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    community=text,
    ballot=text,
    choices=st.dictionaries(
        st.integers(1, 40), st.sampled_from(["agree", "oppose", "abstain"]), min_size=1
    ),
    tracker=text,
    area=text,
    channel=st.sampled_from(["online", "paper", "proxy"]),
    index=st.integers(0, 2**53 - 2),
    leaf=st.binary(min_size=32, max_size=32),
)
def test_draft_signs_what_build_receipt_signs(
    community: str,
    ballot: str,
    choices: dict[int, str],
    tracker: str,
    area: str,
    channel: str,
    index: int,
    leaf: bytes,
) -> None:
    fields = {
        "community": community,
        "ballot": ballot,
        "choices": choices,
        "tracker": tracker,
        "area": area,
        "cast_at": "2026-11-27T06:00:00.000000Z",
        "channel": channel,
        "origin": "fundvote.test/" + community,
        "leaf_hash_hex": leaf.hex(),
    }
    drafted = ReceiptDraft(**fields, key_id=RING.active_key_id).sign(index, RING)
    built = build_receipt(**fields, index=index, keyring=RING)
    assert drafted.text == built.text
    assert drafted.data == built.data
    assert signature_ok(parse_receipt(drafted.text), RING)
