public import AssetIndex
public import DevChain
public import EthPrimitives
internal import EthRPC
public import EthTypes
public import Ingest
public import Store

extension DevChain {
    /// The dev chain's chainspec (`chainspec/provenant-dev.json`): every fork from genesis, its genesis as checkpoint.
    public static let spec: Chainspec = {
        do { return try Chainspec.decode(Array(Repository.chainspecJSON("provenant-dev"))) } catch {
            fatalError("chainspec/provenant-dev.json does not load: \(error)")
        }
    }()

    /// The OP Stack dev chain's chainspec (`chainspec/provenant-dev-op.json`): every upgrade to Isthmus from genesis.
    public static let opStackSpec: Chainspec = {
        do { return try Chainspec.decode(Array(Repository.chainspecJSON("provenant-dev-op"))) } catch {
            fatalError("chainspec/provenant-dev-op.json does not load: \(error)")
        }
    }()

    /// This chain's chainspec: by its family.
    public var chainspec: Chainspec { family == .opStack ? Self.opStackSpec : Self.spec }

    /// Every contract the dev chain deploys.
    public static let allContracts = Set(Contract.allCases.map(\.address))

    /// An index of the chain's blocks up to `last` (all of them when `nil`), each ingested on its parent as a
    /// verified upstream block, with no HTTP and no sync: what sync and the server must agree with.
    public func index(into store: KeyValueStore = MemoryStore(), watched: Set<Address> = DevChain.allContracts,
                      upTo last: UInt64? = nil) throws -> AssetIndex {
        let index = AssetIndex(store: store)
        try ingest(into: Ingestor(index: index, spec: chainspec, watched: watched), upTo: last)
        return index
    }

    /// Ingests the chain's blocks up to `last` (all of them when `nil`), each on its parent.
    public func ingest(into ingestor: Ingestor, upTo last: UInt64? = nil) throws {
        var parent: Header?
        for block in blocks.prefix(Int(last ?? head.header.number) + 1) {
            try ingestor.ingest(block.rpc, receipts: block.receipts, parent: parent)
            parent = block.header
        }
    }
}
