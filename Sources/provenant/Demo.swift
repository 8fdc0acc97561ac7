import ArgumentParser
import DevChain
import DevNet
import EthPrimitives
import EthTypes
import EthRPC
import EthUpstream
import Foundation
import ProvenantNode
import NodeConfig
import ProofVerify
import Server
import Synchronization

/// `provenant demo`: the dev chain served over HTTP by three upstreams, one of them lying, and a node syncing from
/// them with a quorum of two into a temporary data directory, then serving queries.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the dev chain and a node in one process: sync, verify, index, then serve queries.",
        discussion: """
            Starts the built-in dev chain as three JSON-RPC upstreams on loopback: two honest ones, and one that \
            tampers with a share of its answers (header fields, receipts, senders) while still claiming the \
            original hashes. A node syncs from them into a temporary LevelDB directory, committing a range of \
            blocks only once two of the three give its last block's hash, verifying every block, \
            names the liar with its evidence, indexes the AI-asset contracts (ERC-721 with ERC-4907 rentals and \
            ERC-7007 provenance, ERC-1155, ERC-20 shares), and then serves JSON-RPC. It prints example queries as \
            curl commands with the answers the server gave, and a token's proof bundle (asset_proof) checked as \
            provenant verify checks it, offline. It keeps following the dev chain, which grows a \
            block every --block-time-ms, until Ctrl-C. Needs no network. --exit stops after the examples. \
            --op-stack runs all of it on the dev chain's OP Stack form (deposits first in every block, chainspec \
            provenant-dev-op), the liar also lying about deposits.
            """)

    @Option(help: "Seed of the dev chain.") var seed: UInt64 = 1
    @Option(help: "Blocks after genesis at start.") var blocks: UInt64 = 300
    @Option(help: "The node's JSON-RPC address, host:port (port 0: any free port).") var rpcAddr = HostPort(host: "127.0.0.1", port: 8547)
    @Option(help: "The dev chain adds a block every this many milliseconds.") var blockTimeMs: UInt64 = 2_000
    @Option(help: "Share of the lying upstream's answers that are tampered with.") var lieRate: Double = 0.2
    @Flag(help: "Exit after printing the examples instead of serving until Ctrl-C.") var exit = false
    @Flag(help: "Use the dev chain's OP Stack form (chainspec provenant-dev-op) instead of its Ethereum form.") var opStack = false

    func validate() throws {
        guard (0...1).contains(lieRate) else { throw ValidationError("--lie-rate must be between 0 and 1") }
        guard blockTimeMs > 0 else { throw ValidationError("--block-time-ms must be above 0") }
    }

    func run() async throws {
        let host = rpcAddr.host, port = rpcAddr.port
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var lies = DevNetFaults()
        lies.tamper = .all
        lies.tamperRate = lieRate
        let interval = Duration.milliseconds(Int64(blockTimeMs))
        let family: Chainspec.Family = opStack ? .opStack : .ethereum
        let honest = DevNet(seed: seed, blocks: blocks, family: family)
        // Each upstream serves the same chain and grows it on its own clock, as separate nodes would.
        let nets: [(net: DevNet, role: String)] = [
            (honest, "honest"), (DevNet(seed: seed, blocks: blocks, family: family), "honest"),
            (DevNet(seed: seed, blocks: blocks, faults: lies, family: family), "tampers with \(Int(lieRate * 100))% of its answers, still claiming the original hashes"),
        ]
        let ports = Shared<[Int: Int]>([:])
        let devnets = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, served) in nets.enumerated() {
                    group.addTask { try await served.net.run(port: 0, blockInterval: interval) { p in ports.value.withLock { $0[i] = p } } }
                }
                try await group.waitForAll()
            }
        }
        defer { devnets.cancel() }
        while ports.value.withLock({ $0.count }) < nets.count { try await Task.sleep(for: .milliseconds(10)) }
        let urls = ports.value.withLock { p in nets.indices.map { "http://127.0.0.1:\(p[$0]!)/" } }

        print("Provenant demo: \(opStack ? "OP Stack dev chain" : "dev chain") seed \(seed), \(blocks) blocks, served by three upstreams on loopback:")
        for (url, served) in zip(urls, nets) { print("  \(url)   \(served.role)") }
        print("A node syncs from them into \(directory), verifying every block against the genesis checkpoint and committing")
        print("a range only once two of the three upstreams give its last block's hash.")
        fflush(nil)

        let contracts = DevChain.Contract.allCases.map { NodeConfig.Contract(name: $0.name, address: $0.address, startBlock: 0) }
        // The liar first, so that it is asked early and caught.
        let config = NodeConfig(
            chain: opStack ? "provenant-dev-op" : "provenant-dev", upstreams: try [urls[2], urls[0], urls[1]].map { try UpstreamEndpoint($0) }, dataDir: directory, contracts: contracts)
        let logged = Shared<[String]>([])
        let node = try Node(config: config, log: { line in logged.value.withLock { $0.append(line) } })
        let bound = Shared<Int?>(nil)
        let group = node.services(host: host, port: port) { p in bound.value.withLock { $0 = p } }
        let failure = Shared<String?>(nil)
        let services = Task {
            do { try await group.run() } catch {
                failure.value.withLock { $0 = "\(error)" }
                throw error
            }
        }

        let start = ContinuousClock.now
        while !(node.syncer.status.snapshot.indexed.map { $0 >= blocks } ?? false) || bound.value.withLock({ $0 }) == nil {
            if let why = failure.value.withLock({ $0 }) { throw CLIError("the node could not start on \(rpcAddr): \(why)") }
            if case .stopped = node.syncer.status.snapshot.phase { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let status = node.syncer.status.snapshot
        guard let indexed = status.indexed, let serverPort = bound.value.withLock({ $0 }) else {
            await group.triggerGracefulShutdown()
            throw CLIError("sync did not reach block \(blocks): \(status.message ?? "unknown reason")")
        }
        let elapsed = ContinuousClock.now - start
        print("")
        print("Synced blocks 0…\(indexed) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))): \(status.fullBlocksThisRun) blocks "
            + "had a bloom matching the watched contracts and were fetched whole (transactions, receipts, senders recovered); "
            + "the other \(status.blocksThisRun - status.fullBlocksThisRun) provably hold no watched event and were kept as verified headers. \(status.eventsThisRun) token events indexed.")
        for fault in node.pool.faults {
            print("Caught the lying upstream: \(fault.upstream) marked faulty, evidence: \(fault.evidence)")
        }
        if node.pool.faults.isEmpty { print("The lying upstream told no lie the node used this time (rerun with a higher --lie-rate).") }

        let url = "http://\(host):\(serverPort)/"
        print("")
        print("The node serves JSON-RPC on \(url). Examples, with the answers it gave:")
        let visions = DevChain.Contract.visions.address.hex, shares = DevChain.Contract.shares.address.hex
        let chain = honest.chain
        let holder = chain.accounts[0].address.hex
        let rented = chain.record.rentals.keys.sorted().first.map { Hex.quantity($0) } ?? "0x1"
        let examples: [(String, String)] = [
            ("asset_ownerOf", #"["\#(visions)","0x1"]"#),
            ("asset_provenance", #"["\#(visions)","0x1"]"#),
            ("asset_userOf", #"["\#(visions)","\#(rented)"]"#),
            ("asset_balanceOf", #"["\#(shares)","\#(holder)"]"#),
            ("asset_tokensOf", #"["\#(holder)",{"limit":3}]"#),
            ("asset_status", "[]"),
        ]
        let transport = HTTPClientTransport(endpoint: try UpstreamEndpoint(url))
        for (method, params) in examples {
            let body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#
            let answer = try await transport.post(Array(body.utf8), timeout: .seconds(5))
            print("")
            print("$ curl -s -X POST -H 'Content-Type: application/json' \(url) -d '\(body)'")
            print(String(decoding: answer, as: UTF8.self))
        }
        try await showProof(transport: transport, url: url, visions: visions)
        print("")
        fflush(nil)
        if exit {
            await group.triggerGracefulShutdown()
            _ = try? await services.value
            print("index digest \(try node.directory.index.digest()) at block \(indexed)")
            return
        }
        print("Serving on \(url) and following the dev chain (a block every \(blockTimeMs) ms); Ctrl-C stops.")
        fflush(nil)
        try await services.value
    }
}

extension Demo {
    /// Fetches token 1's proof bundle from the node, saves it, and checks it as `provenant verify` does: with no
    /// network and no data directory, trusting only the indexed head's hash.
    func showProof(transport: HTTPClientTransport, url: String, visions: String) async throws {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"asset_proof","params":["\#(visions)","0x1"]}"#
        let answer = try JSONValue(parsing: try await transport.post(Array(body.utf8), timeout: .seconds(10)))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-demo-bundle-\(UUID().uuidString).json")
        guard let result = answer["result"] else { throw CLIError("asset_proof answered \(String(decoding: answer.serialized(), as: UTF8.self))") }
        try Data(result.serialized()).write(to: file)
        let bundle = try ProofBundle(json: result)
        // The trusted hash comes from the node's status, not from the bundle: the user trusts their node's head.
        let statusBody = #"{"jsonrpc":"2.0","id":2,"method":"asset_status","params":[]}"#
        let status = try JSONValue(parsing: try await transport.post(Array(statusBody.utf8), timeout: .seconds(5)))
        guard case .string(let head)? = status["result"]?["indexed"]?["hash"], let trusted = try? Hash32(hex: head) else {
            throw CLIError("asset_status has no indexed head hash")
        }
        print("")
        print("A proof bundle of token 1 (mint with its signed transaction, AIGC record, last transfer; receipt and transaction proofs; \(bundle.headers.count) headers; all receipts of \(bundle.blockReceipts.count) blocks, showing nothing newer), checked offline:")
        print("$ curl -s -X POST -H 'Content-Type: application/json' \(url) -d '\(body)' > bundle.json    # saved as \(file.path)")
        print("$ provenant verify bundle.json --trust \(trusted.hex)    # the indexed head's hash, from asset_status")
        let verified = try bundle.verify(trusting: [trusted])
        print("VERIFIED \(verified.statements[0])")
        for statement in verified.statements.dropFirst() { print("  \(statement)") }
    }
}

/// A value shared between tasks.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
}
