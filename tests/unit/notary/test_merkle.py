"""RFC 6962/9162 Merkle tree: published vectors, a naive reference, pymerkle, and properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from notary.merkle import (
    EMPTY_ROOT,
    BeyondTreeSize,
    MemoryTree,
    completed_nodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# Source: github.com/transparency-dev/merkle, testonly/constants.go (LeafInputs, NodeHashes,
# RootHashes), the same data as certificate-transparency's merkle_tree_test vectors.
LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
LEAF_HASHES = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]
LEVEL1 = [
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
]
LEVEL2 = [
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
]
ROOTS = [  # by tree size 0..8
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# Source: github.com/transparency-dev/merkle, proof/verify_test.go (inclusionProofs,
# consistencyProofs), originally RFC 6962 test data from certificate-transparency. Leaf
# numbers there count from one; here they are 0-based indices.
INCLUSION_VECTORS = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def vector_tree() -> MemoryTree:
    tree = MemoryTree()
    for data in LEAF_INPUTS:
        tree.append(data)
    return tree


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 writes it, over leaf hashes; independent of notary."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    left, right = reference_root(leaves[:k]), reference_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def data_leaves(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def memory_tree(n: int) -> MemoryTree:
    tree = MemoryTree()
    for data in data_leaves(n):
        tree.append(data)
    return tree


# -- published vectors ------------------------------------------------------------------------


def test_hashing_primitives_match_the_vectors() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert [leaf_hash(d) for d in LEAF_INPUTS] == LEAF_HASHES
    assert node_hash(LEAF_HASHES[0], LEAF_HASHES[1]) == LEVEL1[0]


def test_stored_perfect_subtrees_match_node_hashes() -> None:
    tree = vector_tree()
    assert [tree.get(0, i) for i in range(8)] == LEAF_HASHES
    assert [tree.get(1, i) for i in range(4)] == LEVEL1
    assert [tree.get(2, i) for i in range(2)] == LEVEL2
    assert tree.get(3, 0) == ROOTS[8]
    with pytest.raises(KeyError):
        tree.get(3, 1)


@pytest.mark.parametrize("size", range(9))
def test_roots_match_vectors(size: int) -> None:
    assert vector_tree().root(size) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, proof: list[str]) -> None:
    tree = vector_tree()
    expected = [h(p) for p in proof]
    assert tree.inclusion_proof(index, size) == expected
    assert verify_inclusion(LEAF_HASHES[index], index, size, expected, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(old: int, new: int, proof: list[str]) -> None:
    tree = vector_tree()
    expected = [h(p) for p in proof]
    assert tree.consistency_proof(old, new) == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def corrupt_inclusion(index: int, size: int, proof: list[bytes], leaf: bytes, root: bytes):
    """The probes of transparency-dev's corruptInclusionProof (proof/verify_test.go)."""
    yield index - 1, size, proof, leaf, root
    yield index + 1, size, proof, leaf, root
    yield index ^ 2, size, proof, leaf, root
    yield index, size * 2, proof, leaf, root
    yield index, size // 2, proof, leaf, root
    yield index, size, proof, b"WrongLeaf", root
    yield index, size, proof, leaf, EMPTY_ROOT
    yield index, size, proof, leaf, SOME_HASH
    yield index, size, [*proof, b""], leaf, root
    yield index, size, [*proof, root], leaf, root
    yield index, size, [b"", *proof], leaf, root
    yield index, size, [root, *proof], leaf, root
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        yield index, size, flipped, leaf, root
    if proof:
        yield index, size, proof[:-1], leaf, root
    if len(proof) > 1:
        yield index, size, [proof[0], SOME_HASH, *proof[1:]], leaf, root


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[:4])
def test_corrupted_inclusion_vectors_fail(index: int, size: int, proof: list[str]) -> None:
    good = [h(p) for p in proof]
    probes = corrupt_inclusion(index, size, good, LEAF_HASHES[index], ROOTS[size])
    for i, s, p, leaf, root in probes:
        assert not verify_inclusion(leaf, i, s, p, root), (i, s, len(p))


def corrupt_consistency(old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]):
    """The probes of transparency-dev's corruptConsistencyProof (proof/verify_test.go)."""
    yield old - 1, new, r1, r2, proof
    yield old + 1, new, r1, r2, proof
    yield old ^ 2, new, r1, r2, proof
    yield old, new * 2, r1, r2, proof
    yield old, new // 2, r1, r2, proof
    yield old, new, b"WrongRoot", r2, proof
    yield old, new, r1, b"WrongRoot", proof
    yield old, new, r2, r1, proof
    yield old, new, r1, r2, []
    yield old, new, r1, r2, [*proof, b""]
    yield old, new, r1, r2, [*proof, r1]
    yield old, new, r1, r2, [*proof, r2]
    yield old, new, r1, r2, [b"", *proof]
    yield old, new, r1, r2, [r1, *proof]
    yield old, new, r1, r2, [r2, *proof]
    yield old, new, r1, r2, [proof[0], *proof]
    yield old, new, r1, r2, proof[:-1]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        yield old, new, r1, r2, flipped


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_vectors_fail(old: int, new: int, proof: list[str]) -> None:
    good = [h(p) for p in proof]
    for o, n, r1, r2, p in corrupt_consistency(old, new, ROOTS[old], ROOTS[new], good):
        assert not verify_consistency(o, n, r1, r2, p), (o, n, len(p))


def test_trivial_consistency_cases() -> None:
    # transparency-dev's TestVerifyConsistency edge cases, adapted to our stricter size-0 rule.
    a, b = SOME_HASH, ROOTS[3]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, a, ROOTS[5], [])
    assert verify_consistency(1, 1, b, b, [])
    assert not verify_consistency(1, 1, a, b, [])
    assert not verify_consistency(1, 0, a, b, [])
    assert not verify_consistency(2, 1, a, b, [])
    assert not verify_consistency(1, 2, a, b, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])


def test_single_entry_and_bad_sizes() -> None:
    leaf = leaf_hash(b"data")
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], leaf)
    assert not verify_inclusion(b"", 0, 1, [], b"")
    for index, size in [(0, 0), (1, 0), (2, 1), (-1, 4)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_generators_refuse_impossible_requests() -> None:
    tree = memory_tree(5)
    with pytest.raises(BeyondTreeSize):
        inclusion_proof(tree.get, 5, 5)
    with pytest.raises(BeyondTreeSize):
        inclusion_proof(tree.get, -1, 5)
    with pytest.raises(BeyondTreeSize):
        consistency_proof(tree.get, 4, 3)
    with pytest.raises(BeyondTreeSize):
        tree.root(6)
    with pytest.raises(BeyondTreeSize):
        tree_root(tree.get, -1)
    assert consistency_proof(tree.get, 0, 5) == []
    assert consistency_proof(tree.get, 5, 5) == []


def test_completed_nodes_climbs_once_per_trailing_one() -> None:
    reads: list[tuple[int, int]] = []

    def get(level: int, index: int) -> bytes:
        reads.append((level, index))
        return SOME_HASH

    nodes = completed_nodes(11, LEAF_HASHES[0], get)  # 0b1011: completes (1,5) and (2,2)
    assert [(n.level, n.index) for n in nodes] == [(0, 11), (1, 5), (2, 2)]
    assert reads == [(0, 10), (1, 4)]
    assert nodes[1].hash == node_hash(SOME_HASH, LEAF_HASHES[0])
    assert completed_nodes(12, LEAF_HASHES[0], get)[1:] == []


def test_node_count_is_about_twice_the_leaves() -> None:
    tree = memory_tree(1000)
    assert len(tree._nodes) == 2 * 1000 - bin(1000).count("1")


def test_roots_are_read_in_log_reads() -> None:
    tree = memory_tree(1000)
    reads: list[tuple[int, int]] = []

    def get(level: int, index: int) -> bytes:
        reads.append((level, index))
        return tree.get(level, index)

    assert tree_root(get, 1000) == reference_root([leaf_hash(d) for d in data_leaves(1000)])
    assert len(reads) == bin(1000).count("1")


# -- against a naive reference and against pymerkle -------------------------------------------


@pytest.mark.parametrize("n", [*range(0, 40), 63, 64, 65, 127, 128, 129, 1000])
def test_roots_match_reference_and_pymerkle(n: int) -> None:
    leaves = data_leaves(n)
    ours = memory_tree(n)
    theirs = InmemoryTree()
    for data in leaves:
        theirs.append_entry(data)
    expected = reference_root([leaf_hash(d) for d in leaves])
    assert ours.root() == expected
    assert theirs.get_root() == expected


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33, 70])
def test_inclusion_proofs_match_pymerkle(n: int) -> None:
    ours = memory_tree(n)
    theirs = InmemoryTree()
    for data in data_leaves(n):
        theirs.append_entry(data)
    for size in range(1, n + 1):
        for index in range(size):
            # pymerkle counts leaves from one and puts the leaf hash first in its path.
            path = theirs.prove_inclusion(index + 1, size).path
            assert path[0] == ours.get(0, index)
            assert ours.inclusion_proof(index, size) == path[1:]


@pytest.mark.parametrize("n", [2, 3, 5, 8, 9, 17, 33, 70])
def test_consistency_agrees_with_pymerkle(n: int) -> None:
    # pymerkle's consistency proofs use another encoding; check both sides accept the same roots.
    ours = memory_tree(n)
    theirs = InmemoryTree()
    for data in data_leaves(n):
        theirs.append_entry(data)
    for new in range(1, n + 1):
        for old in range(1, new + 1):
            old_root, new_root = ours.root(old), ours.root(new)
            theirs.prove_consistency(old, new).verify(old_root, new_root)
            proof = ours.consistency_proof(old, new)
            assert verify_consistency(old, new, old_root, new_root, proof)


# -- properties -------------------------------------------------------------------------------

TREES = {n: memory_tree(n) for n in range(71)}


@settings(max_examples=300)
@given(st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 70))
    index = data.draw(st.integers(0, size - 1))
    tree = TREES[70]
    proof = tree.inclusion_proof(index, size)
    root, leaf = tree.root(size), tree.get(0, index)
    assert verify_inclusion(leaf, index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, TREES[70].root(size - 1))
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert not verify_inclusion(tree.get(0, other), index, size, proof, root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        tampered = list(proof)
        tampered[i] = bytes(
            b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(proof[i])
        )
        assert not verify_inclusion(leaf, index, size, tampered, root)
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)
        assert not verify_inclusion(leaf, index, size, [*proof, proof[-1]], root)


def test_consistency_holds_for_every_pair_up_to_70() -> None:
    tree = TREES[70]
    roots = [tree.root(s) for s in range(71)]
    for new in range(71):
        for old in range(new + 1):
            proof = tree.consistency_proof(old, new)
            assert verify_consistency(old, new, roots[old], roots[new], proof), (old, new)
            if proof:
                assert not verify_consistency(old, new, roots[old], roots[new], proof[:-1])
                wrong_old = roots[old - 1] if old > 1 else SOME_HASH
                assert not verify_consistency(old, new, wrong_old, roots[new], proof)


@settings(max_examples=300)
@given(st.data())
def test_tampered_consistency_proofs_fail(data: st.DataObject) -> None:
    new = data.draw(st.integers(2, 70))
    old = data.draw(st.integers(1, new - 1))
    tree = TREES[70]
    proof = tree.consistency_proof(old, new)
    i = data.draw(st.integers(0, len(proof) - 1))
    tampered = list(proof)
    tampered[i] = hashlib.sha256(proof[i]).digest()
    assert not verify_consistency(old, new, tree.root(old), tree.root(new), tampered)
    assert not verify_consistency(old, new + 0, tree.root(old), tree.root(new - 1), proof)


@given(st.lists(st.binary(max_size=40), max_size=40))
def test_roots_of_arbitrary_leaves_match_reference(leaves: list[bytes]) -> None:
    tree = MemoryTree()
    for data in leaves:
        tree.append(data)
    assert tree.root() == reference_root([leaf_hash(d) for d in leaves])


def test_frontier_keys_are_the_perfect_subtrees_of_the_size() -> None:
    from notary.merkle import frontier_keys

    assert frontier_keys(0) == []
    assert frontier_keys(1) == [(0, 0)]
    assert frontier_keys(6) == [(2, 0), (1, 2)]
    assert frontier_keys(7) == [(2, 0), (1, 2), (0, 6)]
    assert frontier_keys(8) == [(3, 0)]
    for size in range(0, 200):
        keys = frontier_keys(size)
        assert sum(1 << level for level, _ in keys) == size
        start = 0
        for level, index in keys:  # contiguous, aligned, largest first
            assert index << level == start
            start += 1 << level


# -- root_of: the one-pass root over a whole list ------------------------------------------

POW2_NEIGHBOURS = sorted({n for k in range(11) for n in (2**k - 1, 2**k, 2**k + 1)})


def _pymerkle_root(leaves: list[bytes]) -> bytes:
    tree = InmemoryTree()
    for data in leaves:
        tree.append_entry(data)
    return EMPTY_ROOT if not leaves else tree.get_root()


@pytest.mark.parametrize("n", POW2_NEIGHBOURS)
def test_root_of_matches_memory_tree_and_pymerkle_near_powers_of_two(n: int) -> None:
    leaves = data_leaves(n)
    expected = memory_tree(n).root()
    assert root_of(leaves) == expected
    assert root_of([leaf_hash(d) for d in leaves], hashed=True) == expected
    assert _pymerkle_root(leaves) == expected


def test_root_of_published_vectors() -> None:
    for size, root in enumerate(ROOTS):
        assert root_of(LEAF_INPUTS[:size]) == root
        assert root_of(LEAF_HASHES[:size], hashed=True) == root


def test_root_of_nothing_is_the_empty_root() -> None:
    assert root_of([]) == EMPTY_ROOT
    assert root_of([], hashed=True) == EMPTY_ROOT
    assert root_of(iter(())) == EMPTY_ROOT


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=24), max_size=300))
def test_root_of_arbitrary_leaves_matches_tree_root_and_pymerkle(leaves: list[bytes]) -> None:
    tree = MemoryTree()
    for data in leaves:
        tree.append(data)
    ours = root_of(leaves)
    assert ours == tree.root() == tree_root(tree.get, tree.size)
    assert ours == _pymerkle_root(leaves)
    assert root_of((leaf_hash(d) for d in leaves), hashed=True) == ours


@settings(max_examples=100)
@given(st.integers(0, 2100))
def test_root_of_every_size_matches_memory_tree(n: int) -> None:
    assert root_of(data_leaves(n)) == memory_tree(n).root()
