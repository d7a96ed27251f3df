import uuid

import pytest

from app import crypto
from app.config import get_settings
from app.crypto import CryptoConfigError, DecryptError, MasterKey, decrypt, encrypt, new_org_key, parse_master_key
from tests.factories import make_org


def test_text_round_trips_and_is_not_readable_in_the_stored_form(db):
    org = make_org(db)
    token = encrypt(db, org.id, "Dort sous le pont, plaie au pied", "person_notes.body:1")
    assert token.startswith("enc1:") and "pont" not in token
    assert decrypt(db, org.id, token, "person_notes.body:1") == "Dort sous le pont, plaie au pied"


def test_a_ciphertext_moved_to_another_record_or_organisation_does_not_decrypt(db):
    org, other = make_org(db), make_org(db)
    token = encrypt(db, org.id, "secret", "person_notes.body:1")
    with pytest.raises(DecryptError):
        decrypt(db, org.id, token, "person_notes.body:2")
    with pytest.raises(DecryptError):
        decrypt(db, other.id, token, "person_notes.body:1")


def test_damaged_ciphertext_is_a_clear_error_not_a_crash(db):
    org = make_org(db)
    token = encrypt(db, org.id, "secret", "ctx")
    for bad in (token[:-4] + "AAAA", "enc1:@@@", "enc1:", "plain text"):
        with pytest.raises(DecryptError):
            decrypt(db, org.id, bad, "ctx")


def test_org_key_rotation_keeps_old_text_readable(db):
    org = make_org(db)
    old = encrypt(db, org.id, "before", "ctx")
    new_org_key(db, org.id)
    new = encrypt(db, org.id, "after", "ctx")
    assert crypto.key_id_of(old) != crypto.key_id_of(new)
    assert decrypt(db, org.id, old, "ctx") == "before"
    assert decrypt(db, org.id, new, "ctx") == "after"


def test_master_key_rotation_rewraps_org_keys(db, monkeypatch):
    org = make_org(db)
    token = encrypt(db, org.id, "kept", "ctx")
    old = crypto.master_key()
    new = MasterKey(b"n" * 32)
    assert crypto.rewrap_org_keys(db, old, new) >= 1
    monkeypatch.setattr(crypto, "master_key", lambda: new)
    assert decrypt(db, org.id, token, "ctx") == "kept"
    crypto._key_cache.clear()
    monkeypatch.setattr(crypto, "master_key", lambda: old)
    with pytest.raises(DecryptError):
        decrypt(db, org.id, token, "ctx")
    crypto._key_cache.clear()


def test_bad_or_missing_master_key_configuration_is_refused_clearly(monkeypatch):
    with pytest.raises(CryptoConfigError, match="32 random bytes"):
        parse_master_key("too-short")
    monkeypatch.setenv("MASTER_KEY", "")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/none")
    get_settings.cache_clear()
    crypto.master_key.cache_clear()
    try:
        with pytest.raises(CryptoConfigError, match="set MASTER_KEY"):
            crypto.master_key()
        monkeypatch.setenv("MASTER_KEY_FILE", f"/nonexistent/{uuid.uuid4()}")
        get_settings.cache_clear()
        with pytest.raises(CryptoConfigError, match="does not exist"):
            crypto.master_key()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        crypto.master_key.cache_clear()


def test_master_key_rotation_moves_totp_secrets_too(db):
    from app.auth.mfa import rewrap_totp_secrets
    from app.crypto import decrypt_system, encrypt_system
    from tests.factories import make_user

    user = make_user(db, make_org(db))
    old, new = crypto.master_key(), MasterKey(b"z" * 32)
    user.totp_secret = encrypt_system("JBSWY3DPEHPK3PXP", f"users.totp_secret:{user.id}", old)
    db.commit()
    assert rewrap_totp_secrets(db, old, new) >= 1
    assert decrypt_system(user.totp_secret, f"users.totp_secret:{user.id}", new) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(DecryptError):
        decrypt_system(user.totp_secret, f"users.totp_secret:{user.id}", old)


def test_bulk_sealer_writes_what_decrypt_reads_and_follows_a_new_key(db):
    org = make_org(db)
    seal = crypto.sealer(db, org.id)
    token = seal("Vu au pont.", "encounters.note:abc")
    assert token.startswith(crypto.PREFIX) and "pont" not in token
    assert decrypt(db, org.id, token, "encounters.note:abc") == "Vu au pont."
    first = crypto.key_id_of(encrypt(db, org.id, "x", "c"))
    new_org_key(db, org.id)  # rotation: the cached active key id is dropped at once
    assert crypto.key_id_of(encrypt(db, org.id, "x", "c")) != first
