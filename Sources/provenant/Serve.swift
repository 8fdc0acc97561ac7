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
            Binds 127.0.0.1:8547 unless --rpc-addr says otherwise. Nothing a client sends can write. \
            Browser-safe by default: a POST must be Content-Type: application/json (else 415), the Host header \
            must name localhost, 127.0.0.1 or [::1] (else 403: a DNS-rebinding page uses a name of its own), and \
            a request from a web page (Origin) is refused unless --cors-origin lists it.
            """)

    @OptionGroup var dataDir: DataDirectoryOption
    @Option(help: "Address to listen on, host:port (port 0: any free port).")
    var rpcAddr = HostPort(host: HTTPServer.defaultAddress, port: HTTPServer.defaultPort)
    @Option(name: .customLong("allow-host"), help: "A Host name to answer besides the loopback ones (repeatable; * for any), e.g. the name or address clients reach --rpc-addr by.")
    var allowHosts: [String] = []
    @Option(name: .customLong("cors-origin"), help: "A web page origin that may call the server, like https://app.example (repeatable; * for any).")
    var corsOrigins: [String] = []

    func run() async throws {
        let directory = try dataDir.open()
        let (spec, ingestor) = try directory.ingestor()
        let methods = AssetMethods(index: directory.index, chainId: spec.chainId, watched: ingestor.watched, startBlocks: ingestor.startBlocks,
            checkpoint: ingestor.startCheckpoint)
        let index = directory.index, host = rpcAddr.host, path = dataDir.path
        let server = HTTPServer(
            dispatcher: methods.dispatcher(), host: host, port: rpcAddr.port,
            browsers: BrowserPolicy(hosts: BrowserPolicy.defaultHosts + allowHosts, corsOrigins: corsOrigins), metrics: { IndexFigures.families(index) },
            pages: ProvenancePages(methods: methods))
        // SIGINT or SIGTERM: stop accepting, answer the requests in flight, then exit.
        try await Lifecycle.group([server.service { bound in
            print("serving \(spec.name) from \(path) on http://\(host):\(bound)/")
            fflush(nil)
        }]).run()
    }
}
