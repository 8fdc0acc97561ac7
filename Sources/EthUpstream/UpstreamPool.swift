public import EthPrimitives
public import EthRPC
public import EthTypes
public import EthVerify
internal import Synchronization

/// Why the pool could not answer.
public enum PoolError: Error, Sendable, CustomStringConvertible {
    /// Every upstream has been marked faulty: nothing is left to trust.
    case noneLeft
    /// Every upstream still trusted failed to answer (after its own retries).
    case unreachable([UpstreamError])
    /// Fewer than `quorum` upstreams agree on a head.
    case noQuorum(String)

    public var description: String {
        switch self {
        case .noneLeft: return "every upstream has been marked faulty"
        case .unreachable(let errors): return "no upstream answered: " + errors.map(\.description).joined(separator: "; ")
        case .noQuorum(let why): return "no head quorum: \(why)"
        }
    }
}

/// An upstream caught serving data that failed verification, and the evidence.
public struct UpstreamFault: Sendable, CustomStringConvertible {
    public let upstream: String
    public let evidence: FaultEvidence
    public var description: String { "\(upstream) marked faulty: \(evidence)" }
}

/// What an upstream was caught doing, with the check's own error.
public enum FaultEvidence: Sendable, Equatable, CustomStringConvertible {
    /// It served data that failed a check: the block, the field, the verified value and its claim.
    case verification(VerificationError)
    /// Its `eth_chainId` is not the chainspec's: it serves another chain.
    case wrongChain(expected: UInt64, chainspec: String, answered: String)
    /// Below the last few blocks, where propagation explains nothing, it gave another hash for a block than the
    /// `voters` upstreams that formed the quorum.
    case outvoted(block: UInt64, quorumHash: Hash32, voters: Int, itsHash: Hash32)

    /// A short label for metrics.
    public var kind: String {
        switch self {
        case .verification: return "verification"
        case .wrongChain: return "wrong_chain"
        case .outvoted: return "outvoted"
        }
    }

    public var description: String {
        switch self {
        case .verification(let error): return error.description
        case .outvoted(let block, let quorumHash, let voters, let itsHash):
            return "block \(block) hash: quorum of \(voters) upstreams \(quorumHash.hex), this upstream \(itsHash.hex)"
        case .wrongChain(let expected, let chainspec, let answered):
            return "eth_chainId: expected \(Hex.quantity(expected)) (chainspec \(chainspec)), actual \(answered)"
        }
    }
}

/// Several upstreams used as one: requests fail over from one to the next when an upstream cannot answer, are
/// spread over them in turn, and skip upstreams marked faulty. What gets committed is decided by `quorum` of them
/// giving the same hash for a block (ARCHITECTURE.md §2): the head, each range's last block, a reorg's ancestor.
public final class UpstreamPool: Sendable {
    public let upstreams: [Upstream]
    /// Upstreams that must give the same hash before a block is believed.
    public let quorum: Int

    private struct State {
        var faults: [Int: UpstreamFault] = [:]
        var turn = 0
    }
    private let state = Mutex(State())

    /// `quorum` defaults to a majority of `upstreams`.
    public init(upstreams: [Upstream], quorum: Int? = nil) {
        let quorum = quorum ?? Self.majority(of: upstreams.count)
        precondition(!upstreams.isEmpty && quorum >= 1 && quorum <= upstreams.count)
        self.upstreams = upstreams
        self.quorum = quorum
    }

    /// The default quorum: more than half of `count` upstreams, so that two quorums always share an upstream.
    public static func majority(of count: Int) -> Int { count / 2 + 1 }

    /// Whether one upstream alone decides while others are configured: allowed, but no longer "trust none".
    public var singleVoice: Bool { quorum == 1 && upstreams.count > 1 }

    /// The faults found so far, in no particular order.
    public var faults: [UpstreamFault] { state.withLock { Array($0.faults.values) } }

    /// Upstreams not marked faulty.
    public var trusted: [Upstream] {
        let faulty = state.withLock { Set($0.faults.keys) }
        return upstreams.indices.filter { !faulty.contains($0) }.map { upstreams[$0] }
    }

    /// Stops using `upstream`: it served data that failed verification. The first evidence is kept; returns
    /// whether this call marked it (concurrent fetches may catch the same liar at once).
    @discardableResult
    public func markFaulty(_ upstream: Upstream, evidence: FaultEvidence) -> Bool {
        guard let i = upstreams.firstIndex(where: { $0 === upstream }) else { return false }
        return state.withLock { s in
            guard s.faults[i] == nil else { return false }
            s.faults[i] = UpstreamFault(upstream: upstream.label, evidence: evidence)
            return true
        }
    }

    /// The batch from the next trusted upstream in turn, failing over to the others; also says who answered, so a
    /// verification failure can be blamed on it.
    public func batch<T: JSONReadable>(_ calls: [RPCCall], as type: T.Type) async throws(PoolError) -> (answers: [Result<T, RPCError>], from: Upstream) {
        try await withUpstream { upstream throws(UpstreamError) in try await upstream.batch(calls, as: type) }
    }

    /// `body` with the next trusted upstream in turn, failing over to the others while it throws; says who answered.
    public func withUpstream<R: Sendable>(_ body: (Upstream) async throws(UpstreamError) -> R) async throws(PoolError) -> (answers: R, from: Upstream) {
        let candidates = trusted
        guard !candidates.isEmpty else { throw .noneLeft }
        let first = state.withLock { s in
            defer { s.turn &+= 1 }
            return s.turn
        }
        var errors: [UpstreamError] = []
        for k in 0..<candidates.count {
            let upstream = candidates[(first + k) % candidates.count]
            do throws(UpstreamError) {
                return (try await body(upstream), upstream)
            } catch {
                errors.append(error)
            }
            if Task.isCancelled { break }
        }
        throw .unreachable(errors)
    }

    /// The head as far as `quorum` trusted upstreams have reached it: the highest height that many of them report,
    /// and the hash `quorum` of them give for it, nil when no hash has that many (they disagree, or some do not
    /// answer). Sync may still commit below it whatever the quorum vouches for. An upstream whose head block does not
    /// hash to its claimed hash is marked faulty.
    public func head() async throws(PoolError) -> (number: UInt64, hash: Hash32?) {
        let candidates = trusted
        guard candidates.count >= quorum else {
            throw candidates.isEmpty ? .noneLeft : .noQuorum("\(candidates.count) trusted upstream(s) left, quorum is \(quorum)")
        }
        let heads = await headers(at: .string("latest"), from: candidates)
        let heights = heads.compactMap { $0.1?.number }.sorted(by: >)
        guard heights.count >= quorum else { throw .noQuorum("only \(heights.count) of \(candidates.count) upstreams gave a head") }
        if quorum == 1, let best = heads.compactMap(\.1).max(by: { $0.number < $1.number }) { return (best.number, best.hash) }
        let height = heights[quorum - 1]
        let answers = await headers(at: .quantity(height), from: candidates)
        var votes: [Hash32: Int] = [:]
        for case let (_, header?) in answers where header.number == height { votes[header.hash, default: 0] += 1 }
        return (height, votes.first { $0.value >= quorum }?.key)
    }

    /// Each upstream's header at `block` (a number or a tag), hash-checked; nil where it did not answer or lied (and
    /// is now faulty).
    public func headers(at block: JSONValue, from candidates: [Upstream]) async -> [(Upstream, Header?)] {
        await withTaskGroup(of: (Upstream, Header?).self) { group in
            for upstream in candidates {
                group.addTask {
                    guard case .success(let block?)? = try? await upstream.call("eth_getBlockByNumber", [block, false], as: RPCBlock?.self) else {
                        return (upstream, nil)
                    }
                    do throws(VerificationError) { try Verify.hash(of: block.header, equals: block.claimedHash) } catch {
                        self.markFaulty(upstream, evidence: .verification(error))
                        return (upstream, nil)
                    }
                    return (upstream, block.header)
                }
            }
            var all: [(Upstream, Header?)] = []
            for await answer in group { all.append(answer) }
            return all
        }
    }

    /// The same batch from each of `candidates` at once; nil for an upstream that could not answer.
    public func batchEach<T: JSONReadable>(_ calls: [RPCCall], as type: T.Type, from candidates: [Upstream]) async -> [(Upstream, [Result<T, RPCError>]?)] {
        await withTaskGroup(of: (Upstream, [Result<T, RPCError>]?).self) { group in
            for upstream in candidates {
                group.addTask { (upstream, try? await upstream.batch(calls, as: type)) }
            }
            var all: [(Upstream, [Result<T, RPCError>]?)] = []
            for await answer in group { all.append(answer) }
            return all
        }
    }
}
