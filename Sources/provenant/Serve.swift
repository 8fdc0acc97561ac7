import ArgumentParser
import AssetIndex
import EthTypes
import Foundation
import ProvenantNode
import Server

/// `provenant serve`: answer JSON-RPC queries from a data directory's verified index.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the asset_* and eth_* JSON-RPC methods from a data directory over HTTP.",
        discussion: """
            POST a JSON-RPC 2.0 request or batch to http://ADDRESS/; GET /health answers while serving. \
            Binds 127.0.0.1:8547 unless --rpc-addr says otherwise. Nothing a client sends can write.
            """)

    @OptionGroup var dataDir: DataDirectoryOption
    @Option(help: "Address to listen on, host:port (port 0: any free port).")
    var rpcAddr = HostPort(host: HTTPServer.defaultAddress, port: HTTPServer.defaultPort)

    func run() async throws {
        let directory = try dataDir.open()
        let (spec, ingestor) = try directory.ingestor()
        let methods = AssetMethods(index: directory.index, chainId: spec.chainId, watched: ingestor.watched, startBlocks: ingestor.startBlocks,
            checkpoint: ingestor.startCheckpoint)
        let index = directory.index, host = rpcAddr.host, path = dataDir.path
        let server = HTTPServer(dispatcher: methods.dispatcher(), host: host, port: rpcAddr.port, metrics: { IndexFigures.families(index) })
        // SIGINT or SIGTERM: stop accepting, answer the requests in flight, then exit.
        try await Lifecycle.group([server.service { bound in
            print("serving \(spec.name) from \(path) on http://\(host):\(bound)/")
            fflush(nil)
        }]).run()
    }
}
