import EthCrypto
import EthPrimitives
import Foundation
import Testing
import TestSupport

@testable import EthTrie

/// `TrieMap`, changed one key at a time, against the whole-set builder: same root, same proofs, old copies unchanged.
@Suite("TrieMap (incremental trie)")
struct TrieMapTests {
    /// ethereum/tests TrieTests applied in their order, deletions included: each root matches the vector's.
    @Test(.needsVectors, arguments: [("trietest.json", false), ("trietest_secureTrie.json", true)])
    func vectorsInOrder(_ file: String, _ secure: Bool) throws {
        let cases = try #require(try Vectors.json("ethereum-tests/TrieTests/\(file)") as? [String: [String: Any]])
        for (name, test) in cases.sorted(by: { $0.key < $1.key }) {
            guard let steps = test["in"] as? [[Any]] else { continue }
            var map = TrieMap()
            for step in steps {
                let raw = TrieVectorTests.value(step[0] as! String)
                let key = secure ? keccak256(raw).bytes : raw
                map[key] = (step[1] as? String).map(TrieVectorTests.value)
            }
            #expect(map.rootHash.hex == (test["root"] as! String).lowercased(), "\(file): \(name)")
        }
    }

    /// Random inserts, overwrites and deletes (keys of shared prefixes, keys that are prefixes of others, inline and
    /// hashed nodes): after every step the root is the builder's over the same set, and every key's proof is the
    /// builder's and verifies; a copy taken earlier keeps its root.
    @Test func randomChangesMatchTheBuilder() throws {
        var rng = SplitMix64(seed: 0x7a1e)
        for _ in 0..<60 {
            var map = TrieMap()
            var state: [[UInt8]: [UInt8]] = [:]
            let prefix = rng.bytes(Int.random(in: 0...3, using: &rng))
            var snapshots: [(TrieMap, Hash32)] = []
            for _ in 0..<80 {
                let key = (Bool.random(using: &rng) ? prefix : []) + rng.bytes(Int.random(in: 0...4, using: &rng))
                if Int.random(in: 0..<3, using: &rng) == 0, let victim = state.keys.randomElement(using: &rng) {
                    map[victim] = nil
                    state[victim] = nil
                } else {
                    let value = rng.bytes(Int.random(in: 1...(Bool.random(using: &rng) ? 3 : 70), using: &rng))
                    map[key] = value
                    state[key] = value
                }
                let pairs = state.map { ($0.key, $0.value) }
                let root = MerklePatriciaTrie.root(pairs)
                #expect(map.rootHash == root)
                snapshots.append((map, root))
                for key in state.keys.prefix(4) + [rng.bytes(3)] {
                    #expect(map[key] == state[key])
                    let proof = map.proof(of: key)
                    #expect(proof == MerklePatriciaTrie.proof(pairs, key: key))
                    #expect(try MerklePatriciaTrie.verify(root: root, key: key, proof: proof) == state[key])
                }
            }
            for (snapshot, root) in snapshots { #expect(snapshot.rootHash == root) }
        }
    }

    @Test func emptyMap() throws {
        var map = TrieMap()
        #expect(map.rootHash == MerklePatriciaTrie.emptyRoot)
        map[[1, 2]] = [3]
        map[[1, 2]] = nil
        #expect(map.rootHash == MerklePatriciaTrie.emptyRoot)
        #expect(try MerklePatriciaTrie.verify(root: map.rootHash, key: [9], proof: map.proof(of: [9])) == nil)
    }
}
