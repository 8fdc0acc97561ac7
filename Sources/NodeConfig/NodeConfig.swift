public import EthPrimitives
public import EthUpstream
internal import Foundation
internal import Yams

/// `provenant.yaml` (ARCHITECTURE.md §9): what a node syncs, from where, and where it serves. Every key is checked;
/// an unknown key or a bad value is an error that names the key and its line.
///
///     chain: mainnet                 # a chainspec name (chainspec/NAME.json) or a path to one
///     upstreams: [URL, …]            # ${ENV} is expanded from the environment and never logged
///     quorum: 2                      # upstreams that must give a block's hash before it is committed;
///                                    # default: a majority of the upstreams
///     checkpoint: {number, hash}     # optional; overrides the chainspec's trust root
///     dataDir: ./provenant-data      # relative paths are relative to the config file
///     reorgWindow: 128
///     server: {address: 127.0.0.1:8547, hosts: [localhost, …], corsOrigins: [https://…]}
///     contracts: [{name, address, startBlock, standards?}]
///     sinks: [{postgres: {url, schema?, name?}}]   # the URL's password as ${ENV}; see the README, PostgreSQL
public struct NodeConfig: Sendable {
    /// A PostgreSQL database the node streams its index into.
    public struct PostgresSink: Sendable, Hashable {
        /// The URL with `${NAME}` expanded. Secret: it may hold a password.
        public var url: String
        /// The URL as configured; safe to print.
        public var label: String
        public var schema: String
        public var name: String

        public init(url: String, label: String? = nil, schema: String = "provenant", name: String = "provenant") {
            (self.url, self.label, self.schema, self.name) = (url, label ?? url, schema, name)
        }
    }

    /// A watched contract.
    public struct Contract: Sendable, Hashable {
        public var name: String
        public var address: Address
        public var startBlock: UInt64
        /// Standards the user declares (`erc721`, `erc20`, …); the index detects them from events either way.
        public var standards: [String]?

        public init(name: String, address: Address, startBlock: UInt64, standards: [String]? = nil) {
            self.name = name
            self.address = address
            self.startBlock = startBlock
            self.standards = standards
        }
    }

    public var chain: String
    public var upstreams: [UpstreamEndpoint]
    /// Upstreams that must vouch for a block before it is committed; nil: a majority of them.
    public var quorum: Int?
    public var checkpoint: (number: UInt64, hash: Hash32)?
    public var dataDir: String
    public var reorgWindow: UInt64 = 128
    public var serverHost = "127.0.0.1"
    public var serverPort = 8547
    /// Names the `Host` header may carry (nil: the server's loopback default); `*` allows any.
    public var serverHosts: [String]?
    /// Browser origins that may call the server; none by default.
    public var corsOrigins: [String] = []
    public var contracts: [Contract]
    public var sinks: [PostgresSink] = []

    /// A config made in code (the demo's); the other keys keep their defaults.
    public init(chain: String, upstreams: [UpstreamEndpoint], dataDir: String, contracts: [Contract]) {
        self.chain = chain
        self.upstreams = upstreams
        self.dataDir = dataDir
        self.contracts = contracts
    }

    /// Standards names `contracts[].standards` accepts.
    public static let standardNames = ["erc20", "erc721", "erc1155", "erc4907", "erc7007", "erc4906"]
    public static let defaultDataDir = "./provenant-data"

    /// Reads and checks the file at `path`.
    public static func load(path: String, environment: [String: String]? = nil) throws(ConfigError) -> NodeConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(key: nil, line: nil, message: "cannot read \(path): \(error.localizedDescription)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(text, relativeTo: base, environment: environment ?? ProcessInfo.processInfo.environment)
    }

    /// Parses a config text; relative `dataDir` and `chain` paths resolve against `base`.
    public static func parse(_ text: String, relativeTo base: String, environment: [String: String]) throws(ConfigError) -> NodeConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ConfigError(key: nil, line: nil, message: "the file is empty") }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(key: nil, line: nil, message: "not valid YAML: \(error)")
        }
        let top = try Reader.mapping(root, key: nil, allowed: ["chain", "upstreams", "quorum", "checkpoint", "dataDir", "reorgWindow", "server", "contracts", "sinks"])

        let chain = try Reader.string(try Reader.required(top, "chain", in: root), key: "chain")
        let chainResolved = chain.contains("/") && !chain.hasPrefix("/") ? "\(base)/\(chain)" : chain

        let upstreamNodes = try Reader.sequence(try Reader.required(top, "upstreams", in: root), key: "upstreams")
        guard !upstreamNodes.isEmpty else { throw ConfigError(key: "upstreams", line: Reader.line(top["upstreams"]), message: "needs at least one URL") }
        var upstreams: [UpstreamEndpoint] = []
        for (i, node) in upstreamNodes.enumerated() {
            let key = "upstreams[\(i)]"
            let template = try Reader.string(node, key: key)
            do throws(UpstreamEndpoint.Problem) {
                upstreams.append(try UpstreamEndpoint(template, environment: environment))
            } catch {
                throw ConfigError(key: key, line: Reader.line(node), message: error.description)
            }
        }

        var quorum: Int?
        if let node = top["quorum"] {
            quorum = Int(try Reader.integer(node, key: "quorum", range: 1...UInt64(upstreams.count)))
        }
        var checkpoint: (UInt64, Hash32)?
        if let node = top["checkpoint"] {
            let fields = try Reader.mapping(node, key: "checkpoint", allowed: ["number", "hash"])
            let number = try Reader.integer(try Reader.required(fields, "number", in: node, parent: "checkpoint"), key: "checkpoint.number")
            checkpoint = (number, try Reader.hash(try Reader.required(fields, "hash", in: node, parent: "checkpoint"), key: "checkpoint.hash"))
        }
        var dataDir = defaultDataDir
        if let node = top["dataDir"] { dataDir = try Reader.string(node, key: "dataDir") }
        if !dataDir.hasPrefix("/") { dataDir = URL(fileURLWithPath: "\(base)/\(dataDir)").standardized.path }
        var reorgWindow: UInt64 = 128
        if let node = top["reorgWindow"] { reorgWindow = try Reader.integer(node, key: "reorgWindow", range: 1...100_000) }
        var host = "127.0.0.1", port = 8547
        var hosts: [String]?, corsOrigins: [String] = []
        if let node = top["server"] {
            let fields = try Reader.mapping(node, key: "server", allowed: ["address", "hosts", "corsOrigins"])
            if let list = fields["hosts"] {
                hosts = try Reader.sequence(list, key: "server.hosts").enumerated().map { i, item throws(ConfigError) in
                    try Reader.string(item, key: "server.hosts[\(i)]")
                }
            }
            if let list = fields["corsOrigins"] {
                corsOrigins = try Reader.sequence(list, key: "server.corsOrigins").enumerated().map { i, item throws(ConfigError) in
                    let origin = try Reader.string(item, key: "server.corsOrigins[\(i)]")
                    guard origin == "*" || origin.hasPrefix("http://") || origin.hasPrefix("https://"), !origin.hasSuffix("/") else {
                        throw ConfigError(key: "server.corsOrigins[\(i)]", line: Reader.line(item), message: "expected an origin like https://app.example (scheme, host, optional port, no path) or *")
                    }
                    return origin
                }
            }
            if let address = fields["address"] {
                let text = try Reader.string(address, key: "server.address")
                guard let colon = text.lastIndex(of: ":"), let p = Int(text[text.index(after: colon)...]), (0...65_535).contains(p), colon > text.startIndex else {
                    throw ConfigError(key: "server.address", line: Reader.line(address), message: "expected host:port, got \"\(text)\"")
                }
                host = String(text[..<colon])
                port = p
            }
        }

        let contractNodes = try Reader.sequence(try Reader.required(top, "contracts", in: root), key: "contracts")
        guard !contractNodes.isEmpty else { throw ConfigError(key: "contracts", line: Reader.line(top["contracts"]), message: "needs at least one contract to watch") }
        var contracts: [Contract] = []
        for (i, node) in contractNodes.enumerated() {
            let key = "contracts[\(i)]"
            let fields = try Reader.mapping(node, key: key, allowed: ["name", "address", "startBlock", "standards"])
            let name = try Reader.string(try Reader.required(fields, "name", in: node, parent: key), key: "\(key).name")
            let addressNode = try Reader.required(fields, "address", in: node, parent: key)
            let address: Address
            let addressText = try Reader.string(addressNode, key: "\(key).address")
            do throws(HexError) { address = try Address(checksummedHex: addressText) } catch {
                throw ConfigError(key: "\(key).address", line: Reader.line(addressNode), message: "not a 20-byte address: \(error)")
            }
            let start = try Reader.integer(try Reader.required(fields, "startBlock", in: node, parent: key), key: "\(key).startBlock")
            var standards: [String]?
            if let list = fields["standards"] {
                standards = try Reader.sequence(list, key: "\(key).standards").enumerated().map { j, item throws(ConfigError) in
                    let s = try Reader.string(item, key: "\(key).standards[\(j)]").lowercased()
                    guard standardNames.contains(s) else {
                        throw ConfigError(key: "\(key).standards[\(j)]", line: Reader.line(item), message: "unknown standard \"\(s)\" (known: \(standardNames.joined(separator: ", ")))")
                    }
                    return s
                }
            }
            if contracts.contains(where: { $0.address == address }) {
                throw ConfigError(key: "\(key).address", line: Reader.line(addressNode), message: "\(address.hex) is listed twice")
            }
            contracts.append(Contract(name: name, address: address, startBlock: start, standards: standards))
        }
        var sinks: [PostgresSink] = []
        if let list = top["sinks"] {
            for (i, item) in try Reader.sequence(list, key: "sinks").enumerated() {
                let key = "sinks[\(i)]"
                let kinds = try Reader.mapping(item, key: key, allowed: ["postgres"])
                let node = try Reader.required(kinds, "postgres", in: item, parent: key)
                let fields = try Reader.mapping(node, key: "\(key).postgres", allowed: ["url", "schema", "name"])
                let urlNode = try Reader.required(fields, "url", in: node, parent: "\(key).postgres")
                let template = try Reader.string(urlNode, key: "\(key).postgres.url")
                let url: String
                do throws(UpstreamEndpoint.Problem) { url = try UpstreamEndpoint.expand(template, environment: environment) } catch {
                    throw ConfigError(key: "\(key).postgres.url", line: Reader.line(urlNode), message: error.description)
                }
                guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                    throw ConfigError(key: "\(key).postgres.url", line: Reader.line(urlNode), message: "expected a postgres:// or postgresql:// URL")
                }
                var sink = PostgresSink(url: url, label: template)
                if let schema = fields["schema"] { sink.schema = try Reader.string(schema, key: "\(key).postgres.schema") }
                if let name = fields["name"] { sink.name = try Reader.string(name, key: "\(key).postgres.name") }
                if sinks.contains(where: { $0.label == sink.label && $0.schema == sink.schema && $0.name == sink.name }) {
                    throw ConfigError(key: key, line: Reader.line(item), message: "the same sink is listed twice")
                }
                sinks.append(sink)
            }
        }
        var config = NodeConfig(chain: chainResolved, upstreams: upstreams, dataDir: dataDir, contracts: contracts)
        config.sinks = sinks
        config.quorum = quorum
        config.checkpoint = checkpoint
        config.reorgWindow = reorgWindow
        config.serverHost = host
        config.serverPort = port
        config.serverHosts = hosts
        config.corsOrigins = corsOrigins
        return config
    }
}

/// A problem with the config: the key (as a path like `contracts[1].address`), its line, and what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let key: String?
    public let line: Int?
    public let message: String

    public var description: String {
        let place = [key.map { "key \($0)" }, line.map { "line \($0)" }].compactMap { $0 }.joined(separator: ", ")
        return place.isEmpty ? message : "\(place): \(message)"
    }
}

/// Typed reads of YAML nodes, each failure naming the key.
enum Reader {
    static func line(_ node: Node?) -> Int? { node?.mark.map { $0.line } }

    static func mapping(_ node: Node, key: String?, allowed: [String]) throws(ConfigError) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw ConfigError(key: key, line: line(node), message: "expected a mapping of keys to values")
        }
        var result: [String: Node] = [:]
        for (k, value) in mapping {
            guard let name = k.string else { throw ConfigError(key: key, line: line(k), message: "a key that is not a string") }
            let path = key.map { "\($0).\(name)" } ?? name
            guard allowed.contains(name) else {
                throw ConfigError(key: path, line: line(k), message: "unknown key (allowed here: \(allowed.joined(separator: ", ")))")
            }
            guard result[name] == nil else { throw ConfigError(key: path, line: line(k), message: "given twice") }
            result[name] = value
        }
        return result
    }

    static func required(_ fields: [String: Node], _ name: String, in node: Node, parent: String? = nil) throws(ConfigError) -> Node {
        guard let value = fields[name] else {
            throw ConfigError(key: parent.map { "\($0).\(name)" } ?? name, line: line(node), message: "missing (required)")
        }
        return value
    }

    static func sequence(_ node: Node, key: String) throws(ConfigError) -> [Node] {
        guard case .sequence(let items) = node else { throw ConfigError(key: key, line: line(node), message: "expected a list") }
        return Array(items)
    }

    static func string(_ node: Node, key: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            throw ConfigError(key: key, line: line(node), message: "expected a non-empty string")
        }
        return scalar.string
    }

    static func integer(_ node: Node, key: String, range: ClosedRange<UInt64> = 0...UInt64.max) throws(ConfigError) -> UInt64 {
        guard case .scalar(let scalar) = node, let value = UInt64(scalar.string.replacingOccurrences(of: "_", with: "")), range.contains(value) else {
            let shown = node.scalar?.string ?? "a non-scalar"
            throw ConfigError(key: key, line: line(node), message: "expected a whole number in \(range.lowerBound)…\(range.upperBound), got \(shown)")
        }
        return value
    }

    static func hash(_ node: Node, key: String) throws(ConfigError) -> Hash32 {
        let text = try string(node, key: key)
        do throws(HexError) { return try Hash32(hex: text) } catch {
            throw ConfigError(key: key, line: line(node), message: "not a 32-byte hash: \(error)")
        }
    }
}
