import EthCrypto
import EthPrimitives
import Foundation
import Testing
import TestSupport

@testable import EthTrie

/// ethereum/tests TrieTests: every root, plain and secure (keys hashed with keccak256).
@Suite("Trie vectors (ethereum/tests TrieTests)", .needsVectors)
struct TrieVectorTests {
    /// A vector string: `0x…` is hex, anything else is ASCII.
    static func value(_ s: String) -> [UInt8] { s.hasPrefix("0x") ? bytes(fromHex: s) : Array(s.utf8) }

    /// Applies a vector's `in` (ordered pairs or an object) and returns the final key-value set.
    static func apply(_ input: Any, secure: Bool) -> [[UInt8]: [UInt8]] {
        var pairs: [(String, String?)] = []
        if let list = input as? [[Any]] {
            pairs = list.map { ($0[0] as! String, $0[1] as? String) }
        } else if let object = input as? [String: Any] {
            pairs = object.map { ($0.key, $0.value as? String) }
        }
        var state: [[UInt8]: [UInt8]] = [:]
        for (k, v) in pairs {
            let key = secure ? keccak256(value(k)).bytes : value(k)
            if let v, !value(v).isEmpty { state[key] = value(v) } else { state[key] = nil }
        }
        return state
    }

    @Test(arguments: [
        ("trietest.json", false), ("trieanyorder.json", false), ("trietest_secureTrie.json", true),
        ("trieanyorder_secureTrie.json", true), ("hex_encoded_securetrie_test.json", true),
    ])
    func roots(_ file: String, _ secure: Bool) throws {
        let cases = try #require(try Vectors.json("ethereum-tests/TrieTests/\(file)") as? [String: [String: Any]])
        for (name, test) in cases.sorted(by: { $0.key < $1.key }) {
            let state = Self.apply(test["in"]!, secure: secure)
            let root = MerklePatriciaTrie.root(state.map { ($0.key, $0.value) })
            #expect(root.hex == (test["root"] as! String).lowercased(), "\(file): \(name)")
            // Every present key proves its value against the root.
            for (key, value) in state {
                let proof = MerklePatriciaTrie.proof(state.map { ($0.key, $0.value) }, key: key)
                #expect(try MerklePatriciaTrie.verify(root: root, key: key, proof: proof) == value, "\(file): \(name)")
            }
        }
        #expect(cases.count >= 3, "\(file) looks truncated")
    }

    /// BasicTests/hexencodetest.json: the hex-prefix (compact) encoding of nibble paths.
    @Test func hexPrefixEncoding() throws {
        let cases = try #require(try Vectors.json("ethereum-tests/BasicTests/hexencodetest.json") as? [String: [String: Any]])
        for (name, test) in cases {
            let seq = (test["seq"] as! [NSNumber]).map { UInt8($0.intValue) }
            let isLeaf = test["term"] as! Bool
            let encoded = Nibbles.hexPrefix(seq[...], isLeaf: isLeaf)
            #expect(encoded == bytes(fromHex: test["out"] as! String), "\(name)")
            let decoded = Nibbles.decodeHexPrefix(encoded[...])
            #expect(decoded?.path == seq && decoded?.isLeaf == isLeaf, "\(name)")
        }
        #expect(cases.count >= 6)
    }
}

@Suite("Merkle-Patricia trie properties")
struct TriePropertyTests {
    /// A random key-value set with shared prefixes, keys that are prefixes of others, short (inline) and long nodes.
    static func randomTrie(_ rng: inout SplitMix64) -> [[UInt8]: [UInt8]] {
        var state: [[UInt8]: [UInt8]] = [:]
        let prefix = rng.bytes(Int.random(in: 0...3, using: &rng))
        for _ in 0..<Int.random(in: 1...60, using: &rng) {
            let key = (Bool.random(using: &rng) ? prefix : []) + rng.bytes(Int.random(in: 0...5, using: &rng))
            state[key] = rng.bytes(Int.random(in: 1...(Bool.random(using: &rng) ? 4 : 80), using: &rng))
        }
        return state
    }

    @Test func rootIsIndependentOfInsertionOrder() {
        var rng = SplitMix64(seed: 0x7121e)
        for _ in 0..<300 {
            let pairs = Self.randomTrie(&rng).map { ($0.key, $0.value) }
            let root = MerklePatriciaTrie.root(pairs)
            #expect(MerklePatriciaTrie.root(pairs.shuffled(using: &rng)) == root)
            #expect(MerklePatriciaTrie.root(pairs.reversed()) == root)
        }
    }

    @Test func emptyTrie() throws {
        #expect(MerklePatriciaTrie.root([]) == MerklePatriciaTrie.emptyRoot)
        #expect(OrderedTrie.root([]).hex == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        let proof = MerklePatriciaTrie.proof([], key: [1])
        #expect(try MerklePatriciaTrie.verify(root: MerklePatriciaTrie.emptyRoot, key: [1], proof: proof) == nil)
    }

    /// verify(proof(k)) returns k's value for present keys and nil for absent ones; every single-byte mutation,
    /// dropped node or added node of a proof is rejected or at least never proves a different value.
    @Test func proofsVerifyAndMutationsFail() throws {
        var rng = SplitMix64(seed: 0x9700f)
        var mutationsRejected = 0
        for _ in 0..<200 {
            let state = Self.randomTrie(&rng)
            let pairs = state.map { ($0.key, $0.value) }
            let root = MerklePatriciaTrie.root(pairs)
            let present = state.keys.randomElement(using: &rng)!
            var absent = rng.bytes(Int.random(in: 0...6, using: &rng))
            while state[absent] != nil { absent = rng.bytes(3) }
            for key in [present, absent] {
                let proof = MerklePatriciaTrie.proof(pairs, key: key)
                #expect(try MerklePatriciaTrie.verify(root: root, key: key, proof: proof) == state[key])
                // Flip one bit of one node.
                var flipped = proof
                let node = Int.random(in: 0..<proof.count, using: &rng)
                let byte = Int.random(in: 0..<proof[node].count, using: &rng)
                flipped[node][byte] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                #expect(throws: TrieError.self) { try MerklePatriciaTrie.verify(root: root, key: key, proof: flipped) }
                // Drop the last node, or append a stray one.
                #expect(throws: TrieError.self) {
                    try MerklePatriciaTrie.verify(root: root, key: key, proof: Array(proof.dropLast()))
                }
                #expect(throws: TrieError.self) {
                    try MerklePatriciaTrie.verify(root: root, key: key, proof: proof + [proof[0]])
                }
                mutationsRejected += 3
            }
        }
        #expect(mutationsRejected == 1_200)
    }

    @Test func orderedTrieProofs() throws {
        var rng = SplitMix64(seed: 42)
        let values = (0..<300).map { _ in rng.bytes(Int.random(in: 1...120, using: &rng)) }
        let root = OrderedTrie.root(values)
        for index in [0, 1, 127, 128, 129, 255, 299] {
            let proof = OrderedTrie.proof(values, index: index)
            #expect(try MerklePatriciaTrie.verify(root: root, key: OrderedTrie.key(index), proof: proof) == values[index])
        }
        let beyond = OrderedTrie.proof(values, index: 300)
        #expect(try MerklePatriciaTrie.verify(root: root, key: OrderedTrie.key(300), proof: beyond) == nil)
    }

    /// A multiproof holds each key's path: through a node set every key gives its value (or absence) and the very
    /// proof `proof(_:key:)` builds, it is no larger than the separate proofs together, and a key whose path it
    /// does not hold is refused as a missing node, never answered as absent.
    @Test func multiproofsGiveEachKeysValueAndProof() throws {
        var rng = SplitMix64(seed: 0x5e7)
        for round in 0..<100 {
            let state = Self.randomTrie(&rng)
            let pairs = state.map { ($0.key, $0.value) }
            let root = MerklePatriciaTrie.root(pairs)
            var keys = Array(state.keys.shuffled(using: &rng).prefix(Int.random(in: 1...4, using: &rng)))
            keys.append(rng.bytes(Int.random(in: 0...6, using: &rng)))  // usually absent
            let nodes = MerklePatriciaTrie.proof(pairs, keys: keys)
            let separate = keys.map { MerklePatriciaTrie.proof(pairs, key: $0) }
            #expect(nodes.count <= separate.reduce(0) { $0 + $1.count })
            #expect(Set(nodes) == Set(separate.joined()), "round \(round): exactly the union of the paths")
            let set = TrieNodeSet(nodes)
            for (key, proof) in zip(keys, separate) {
                #expect(try set.value(root: root, key: key) == state[key])
                #expect(try set.proof(root: root, key: key) == proof)
            }
            if let other = state.keys.first(where: { !Set(MerklePatriciaTrie.proof(pairs, key: $0)).isSubset(of: Set(nodes)) }) {
                #expect(throws: TrieError.self) { try set.value(root: root, key: other) }
            }
        }
        // The ordered tries of a block: 300 items, a handful of them kept.
        let values = (0..<300).map { _ in rng.bytes(Int.random(in: 40...120, using: &rng)) }
        let root = OrderedTrie.root(values)
        let kept = [0, 5, 127, 128, 299]
        let set = TrieNodeSet(OrderedTrie.proof(values, indices: kept))
        for index in kept {
            #expect(try set.value(root: root, key: OrderedTrie.key(index)) == values[index])
            #expect(try set.proof(root: root, key: OrderedTrie.key(index)) == OrderedTrie.proof(values, index: index))
        }
        #expect(throws: TrieError.missingNode(depth: 1)) { try set.value(root: root, key: OrderedTrie.key(40)) }
    }
}
