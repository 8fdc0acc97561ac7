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

    @Option(help: "Data directory to serve.") var dataDir: String = "./provenant-data"
    @Option(help: "Address to listen on, host:port.") var rpcAddr: String = "\(HTTPServer.defaultAddress):\(HTTPServer.defaultPort)"

    func run() async throws {
        guard let colon = rpcAddr.lastIndex(of: ":"), let port = Int(rpcAddr[rpcAddr.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--rpc-addr must be host:port, got \(rpcAddr)")
        }
        let host = String(rpcAddr[..<colon])
        let directory = try DataDirectory(path: dataDir)
        let (spec, ingestor) = try directory.ingestor()
        let methods = AssetMethods(index: directory.index, chainId: spec.chainId, watched: ingestor.watched, checkpoint: spec.checkpoints.first)
        let index = directory.index
        try await HTTPServer(dispatcher: methods.dispatcher(), host: host, port: port, metrics: { IndexFigures.families(index) }).run { bound in
            print("serving \(spec.name) from \(dataDir) on http://\(host):\(bound)/")
            fflush(nil)
        }
    }
}
