"""Reuse of finished work is decided by one fingerprint; a damaged record means "redo", never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rssqa.cache import fingerprint, is_current, load_arrays, read_record, save_arrays, write_record


def test_fingerprint_ignores_key_order_and_sees_every_value():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1, "b": [1, 2]}) != fingerprint({"a": 1, "b": [2, 1]})
    assert fingerprint({"path": Path("x/y")}) == fingerprint({"path": "x/y"})
    assert len(fingerprint({})) == 16


def test_a_record_is_current_only_for_its_own_key(tmp_path):
    record = tmp_path / "meta.json"
    assert not is_current(record, "k1")
    write_record(record, "k1", seconds=3.5)
    assert is_current(record, "k1") and not is_current(record, "k2")
    assert read_record(record) == {"fingerprint": "k1", "seconds": 3.5}


def test_a_damaged_record_counts_as_absent(tmp_path):
    record = tmp_path / "manifest.json"
    for damaged in (b"{\"fingerprint\": \"k1\"", b"\xff\xfe", b"[1, 2]", b""):
        record.write_bytes(damaged)
        assert read_record(record) is None and not is_current(record, "k1")


def test_cached_arrays_come_back_only_for_their_key_and_when_complete(tmp_path):
    path = tmp_path / "fit.npz"
    save_arrays(path, "k1", {"test": np.arange(3.0)})
    assert np.array_equal(load_arrays(path, "k1", ["test"])["test"], np.arange(3.0))
    assert load_arrays(path, "k2") is None
    assert load_arrays(path, "k1", ["test", "selection"]) is None  # written by an older rssqa
    path.write_bytes(b"PK\x03\x04 truncated")
    assert load_arrays(path, "k1") is None
    assert load_arrays(tmp_path / "absent.npz", "k1") is None
