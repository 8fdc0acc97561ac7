import DevChain
import DevNet
import EthPrimitives
import EthRPC
import EthUpstream
import Foundation
import NodeConfig
import ProofVerify
import ProvenantNode
import Store
import Synchronization
import Testing
import TestSupport

/// The node as a library, in process: the composition `provenant run` drives (data directory, sync and server as
/// services of one group), against the dev chain over real HTTP, with no subprocess.
@Suite("Node in process")
struct NodeTests {
    static func config(_ net: RunningDevNet, dataDir: String, contracts: [DevChain.Contract] = DevChain.Contract.allCases) throws -> NodeConfig {
        var config = NodeConfig(
            chain: Repository.url("chainspec/provenant-dev.json").path, upstreams: [try UpstreamEndpoint(net.url)], dataDir: dataDir,
            contracts: contracts.map { NodeConfig.Contract(name: $0.name, address: $0.address, startBlock: 0) })
        config.serverPort = 0
        return config
    }

    /// Whether opening a node on `config` throws a `NodeError` that `matches` accepts.
    static func openingFails(_ config: NodeConfig, _ matches: (NodeError) -> Bool) -> Bool {
        do {
            _ = try Node(config: config, log: { _ in })
            return false
        } catch {
            return matches(error)
        }
    }

    /// Syncs to the dev chain's head while serving, answers asset_status over HTTP with what it indexed, holds the
    /// index a direct import of the same chain builds, shuts down gracefully, and resumes from its cursor.
    @Test func syncsServesStopsAndResumes() async throws {
        let net = try await RunningDevNet(DevNet(seed: 31, blocks: 60))
        let dataDir = temporaryPath("node")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        // The first node, in its own scope: LevelDB's lock on the directory is released when it goes.
        do {
            let node = try Node(config: try Self.config(net, dataDir: dataDir), log: { _ in })
            let port = Mutex<Int?>(nil)
            let group = node.services(host: "127.0.0.1", port: 0) { bound in port.withLock { $0 = bound } }
            let running = Task { try await group.run() }

            let deadline = ContinuousClock.now + .seconds(60)
            while (node.syncer.status.snapshot.indexed ?? 0) < 60 || port.withLock({ $0 }) == nil {
                try #require(ContinuousClock.now < deadline, "sync reached \(node.syncer.status.snapshot.indexed.map(String.init) ?? "nothing") in 60 s")
                try await Task.sleep(for: .milliseconds(20))
            }
            let bound = try #require(port.withLock { $0 })
            let transport = HTTPClientTransport(endpoint: try UpstreamEndpoint("http://127.0.0.1:\(bound)/"))
            let answer = try await transport.post(Array(#"{"jsonrpc":"2.0","id":1,"method":"asset_status","params":[]}"#.utf8), timeout: .seconds(5))
            let status = try JSONValue(parsing: answer)["result"]
            #expect(status?["indexed"]?["number"] == .string("0x3c"), "\(String(decoding: answer, as: UTF8.self))")
            #expect(status?["chainId"] == .string(Hex.quantity(DevChain.chainId)))
            #expect(try node.directory.index.digest() == (try net.devnet.chain.index(upTo: 60).digest()))

            // asset_proof with the present proven by state: storage proofs from the node's upstream, verified against
            // the stored head, and a bundle that verifies offline with the head's hash alone.
            let visions = DevChain.Contract.visions.address.hex
            let token = try #require(net.devnet.chain.record.owners.keys.min())
            let proofAnswer = try await transport.post(Array(#"{"jsonrpc":"2.0","id":2,"method":"asset_proof","params":["\#(visions)","\#(Hex.quantity(token))",{"present":"state"}]}"#.utf8), timeout: .seconds(10))
            let bundle = try ProofBundle(json: try #require(try JSONValue(parsing: proofAnswer)["result"]))
            let head = try #require(try node.directory.index.cursor())
            let verified = try bundle.verify(trusting: [head.hash])
            #expect(bundle.state?.owner?.address == net.devnet.chain.record.owners[token])
            #expect(verified.statements.contains { $0.contains("by storage proof against block 60's state root") }, "\(verified.statements)")
            // The home page of a syncing node says where sync is and how each upstream stands.
            let connection = try #require(RawHTTPConnection(port: bound))
            #expect(connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            let home = String(decoding: try #require(connection.readResponse()).body, as: UTF8.self)
            #expect(home.contains("<p>Sync: ") && home.contains("each block vouched for by 1 upstream") && home.contains("(trusted)"), "\(home)")
            let badPresent = try await transport.post(Array(#"{"jsonrpc":"2.0","id":3,"method":"asset_proof","params":["\#(visions)","0x1",{"present":"maybe"}]}"#.utf8), timeout: .seconds(5))
            #expect(try JSONValue(parsing: badPresent)["error"]?["code"] == .int(-32602))

            await group.triggerGracefulShutdown()
            try await running.value
            #expect(node.syncer.status.snapshot.indexed == 60)
        }

        // The same directory opened again resumes at its cursor, and refuses another watch set by name.
        do {
            let again = try Node(config: try Self.config(net, dataDir: dataDir), log: { _ in })
            #expect(try again.directory.index.cursor()?.number == 60)
        }
        #expect(try Self.openingFails(Self.config(net, dataDir: dataDir, contracts: [.visions])) { error in
            if case .otherContracts(let path) = error { path == dataDir } else { false }
        })
    }

    /// A directory whose reindex was interrupted is refused before anything syncs into it.
    @Test func anInterruptedReindexIsRefused() async throws {
        let net = try await RunningDevNet(DevNet(seed: 32, blocks: 5))
        let dataDir = temporaryPath("node-reindex")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        do {
            let directory = try DataDirectory(path: dataDir, create: true)
            try directory.store.put(Schema.Meta.reindexing.key, [1])
        }
        #expect(try Self.openingFails(Self.config(net, dataDir: dataDir)) { error in
            if case .reindexInterrupted = error { true } else { false }
        })
    }
}
