public import EthPrimitives
public import EthUpstream
public import Proofs
public import ProofVerify
internal import EthRPC

/// State proofs from JSON-RPC upstreams (`eth_getProof`), for present-state bundles: each upstream is asked in turn
/// until one answers; what it answers is verified by the caller against a stored header before it is used.
public struct UpstreamStateSource: StateSource {
    public let upstreams: [Upstream]

    public init(upstreams: [Upstream]) { self.upstreams = upstreams }

    public func accountProof(of address: Address, slots: [UInt256], block: UInt64) async throws(ProofBuildError) -> AccountProof {
        var failures: [String] = []
        for upstream in upstreams {
            let params: [JSONValue] = [.string(address.hex), .array(slots.map { .string($0.hex32) }), .quantity(block)]
            do throws(UpstreamError) {
                switch try await upstream.call("eth_getProof", params, as: AccountProof.self) {
                case .success(let proof): return proof
                case .failure(let error): failures.append("\(upstream.label): \(error.message)")
                }
            } catch {
                failures.append("\(error)")
            }
        }
        // Most often: the upstream is not an archive node and the block's state is gone.
        throw .unavailable("no upstream gave the state of \(address.hex) at block \(block): \(failures.joined(separator: "; "))")
    }
}
