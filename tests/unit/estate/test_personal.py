"""Personal-data protection: the data key, AES-GCM encryption, masking, log redaction."""

from __future__ import annotations

import base64
import logging
import stat
from pathlib import Path

import pytest

from estate.errors import DataKeyInvalid, DataKeyMissing, UndecryptableData
from estate.personal import (
    DataCipher,
    RedactPersonalData,
    load_cipher,
    mask_id_number,
    mask_name,
    mask_phone,
    redact,
)


def test_key_file_is_created_0600_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "data.key"
    with pytest.raises(DataKeyMissing):
        load_cipher(path, create=False)
    first = load_cipher(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    token = first.encrypt("13812341234", purpose="owner.phone:r1")
    again = load_cipher(path, create=True)  # existing key is kept, not replaced
    assert again.decrypt(token, purpose="owner.phone:r1") == "13812341234"


def test_bad_key_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    path.write_text("not base64!!")
    path.chmod(0o600)
    with pytest.raises(DataKeyInvalid):
        load_cipher(path, create=True)
    path.write_text(base64.b64encode(b"short").decode())
    with pytest.raises(DataKeyInvalid):
        load_cipher(path, create=True)
    path.write_text(base64.b64encode(bytes(32)).decode())
    path.chmod(0o644)
    with pytest.raises(DataKeyInvalid, match="chmod 600"):
        load_cipher(path, create=False)


def test_encryption_is_randomised_versioned_and_bound_to_purpose() -> None:
    cipher = DataCipher(bytes(range(32)))
    a = cipher.encrypt("13812341234", purpose="owner.phone:r1")
    b = cipher.encrypt("13812341234", purpose="owner.phone:r1")
    assert a != b
    assert a[0] == 1 and len(a) == 1 + 12 + 11 + 16
    assert b"13812341234" not in a
    assert cipher.decrypt(a, purpose="owner.phone:r1") == "13812341234"
    with pytest.raises(UndecryptableData):
        cipher.decrypt(a, purpose="owner.phone:r2")
    with pytest.raises(UndecryptableData):
        DataCipher(bytes(32)).decrypt(a, purpose="owner.phone:r1")
    with pytest.raises(UndecryptableData):
        cipher.decrypt(b"\x02" + a[1:], purpose="owner.phone:r1")
    tampered = a[:-1] + bytes([a[-1] ^ 1])
    with pytest.raises(UndecryptableData):
        cipher.decrypt(tampered, purpose="owner.phone:r1")
    assert repr(cipher) == "DataCipher(<key hidden>)"


def test_masks() -> None:
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("张") == "张"
    assert mask_name("") == ""
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("059512345678") == "059*****5678"
    assert mask_phone("1234") == "**34"
    assert mask_id_number("11010119900307123X") == "110***********123X"
    assert mask_id_number("110101900307123") == "110********7123"


def test_redact() -> None:
    assert redact("call 13812341234 or +86 138-1234-1234 now") == "call [phone] or [phone] now"
    assert redact("id 11010119900307123X.") == "id [id-number]."
    assert redact("landline 0595-12345678") == "landline [phone]"
    # amounts, dates and longer runs are left alone
    assert redact("paid 1234567 fen on 20261101, ref 1381234123456789") == (
        "paid 1234567 fen on 20261101, ref 1381234123456789"
    )


def test_log_filter_rewrites_message_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("fundvote.test.redact")
    caplog.handler.addFilter(RedactPersonalData())
    try:
        logger.warning("sms to %s for owner %s", "13812341234", "o_ab12")
        try:
            raise ValueError("bad id 11010119900307123X")
        except ValueError:
            logger.exception("failed for %s", "13912345678")
    finally:
        caplog.handler.filters.clear()
    assert caplog.records[0].getMessage() == "sms to [phone] for owner o_ab12"
    text = caplog.text
    assert "13812341234" not in text and "13912345678" not in text
    assert "11010119900307123X" not in text
    assert "ValueError: bad id [id-number]" in text
