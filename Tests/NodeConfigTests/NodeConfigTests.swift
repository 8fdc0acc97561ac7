import EthPrimitives
import Testing

@testable import NodeConfig

@Suite("provenant.yaml")
struct NodeConfigTests {
    static let full = """
        chain: mainnet
        upstreams:
          - https://eth.example/v2/${PROVIDER_KEY}
          - http://127.0.0.1:8545
        quorum: 2
        checkpoint:
          number: 19000000
          hash: "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"
        dataDir: data
        reorgWindow: 64
        server:
          address: 0.0.0.0:9000
          hosts: [node.lan, localhost]
          corsOrigins: ["https://app.example"]
        contracts:
          - name: prompted-visions
            address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
            startBlock: 19_000_123
            standards: [erc721, ERC4907, erc7007]
        """

    @Test func everyKeyIsRead() throws {
        let config = try NodeConfig.parse(Self.full, relativeTo: "/etc/provenant", environment: ["PROVIDER_KEY": "k3y"])
        #expect(config.chain == "mainnet")
        #expect(config.upstreams.map(\.url) == ["https://eth.example/v2/k3y", "http://127.0.0.1:8545"])
        #expect(config.upstreams.map(\.label) == ["https://eth.example/v2/${PROVIDER_KEY}", "http://127.0.0.1:8545"])
        #expect(config.quorum == 2)
        #expect(config.serverHosts == ["node.lan", "localhost"] && config.corsOrigins == ["https://app.example"])
        #expect(config.checkpoint?.number == 19_000_000)
        #expect(config.checkpoint?.hash.hex == "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3")
        #expect(config.dataDir == "/etc/provenant/data")
        #expect(config.reorgWindow == 64)
        #expect(config.serverHost == "0.0.0.0" && config.serverPort == 9000)
        #expect(config.contracts.count == 1)
        #expect(config.contracts[0].address.hex == "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        #expect(config.contracts[0].startBlock == 19_000_123)
        #expect(config.contracts[0].standards == ["erc721", "erc4907", "erc7007"])
    }

    @Test func defaultsApply() throws {
        let config = try NodeConfig.parse("""
            chain: provenant-dev
            upstreams: [http://127.0.0.1:8545]
            contracts:
              - {name: a, address: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", startBlock: 0}
            """, relativeTo: "/srv", environment: [:])
        #expect(config.quorum == nil && config.reorgWindow == 128 && config.checkpoint == nil)
        #expect(config.serverHost == "127.0.0.1" && config.serverPort == 8547)
        #expect(config.serverHosts == nil && config.corsOrigins.isEmpty, "loopback names only, no page may call")
        #expect(config.dataDir == "/srv/provenant-data")
    }

    /// Each broken config, the key its error names, and a fragment of the message.
    static let broken: [(String, String, String, String)] = [
        ("unknown top key", "chain: x\nupstreams: [http://a:1]\ncontracts: []\nreorgwindow: 5\n", "reorgwindow", "unknown key"),
        ("missing chain", "upstreams: [http://a:1]\n", "chain", "missing"),
        ("no upstreams", "chain: x\nupstreams: []\n", "upstreams", "at least one"),
        ("unset env", "chain: x\nupstreams: [\"https://a/${NOPE}\"]\n", "upstreams[0]", "NOPE is not set"),
        ("not a URL", "chain: x\nupstreams: [localhost]\n", "upstreams[0]", "http"),
        ("quorum above count", "chain: x\nupstreams: [http://a:1]\nquorum: 2\n", "quorum", "1…1"),
        ("quorum not a number", "chain: x\nupstreams: [http://a:1]\nquorum: two\n", "quorum", "got two"),
        ("bad checkpoint hash", "chain: x\nupstreams: [http://a:1]\ncheckpoint: {number: 1, hash: \"0x12\"}\n", "checkpoint.hash", "32-byte"),
        ("unknown checkpoint key", "chain: x\nupstreams: [http://a:1]\ncheckpoint: {number: 1, block: 2}\n", "checkpoint.block", "unknown key"),
        ("bad server address", "chain: x\nupstreams: [http://a:1]\nserver: {address: localhost}\n", "server.address", "host:port"),
        ("an origin with a path", "chain: x\nupstreams: [http://a:1]\nserver: {corsOrigins: [\"https://app.example/\"]}\n", "server.corsOrigins[0]", "no path"),
        ("hosts not a list", "chain: x\nupstreams: [http://a:1]\nserver: {hosts: localhost}\n", "server.hosts", "list"),
        ("no contracts", "chain: x\nupstreams: [http://a:1]\ncontracts: []\n", "contracts", "at least one"),
        ("19-byte address", "chain: x\nupstreams: [http://a:1]\ncontracts: [{name: a, address: \"0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea\", startBlock: 0}]\n", "contracts[0].address", "20-byte"),
        ("bad checksum", "chain: x\nupstreams: [http://a:1]\ncontracts: [{name: a, address: \"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\", startBlock: 0}]\n", "contracts[0].address", "checksum"),
        ("negative start", "chain: x\nupstreams: [http://a:1]\ncontracts: [{name: a, address: \"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\", startBlock: -1}]\n", "contracts[0].startBlock", "whole number"),
        ("unknown standard", "chain: x\nupstreams: [http://a:1]\ncontracts: [{name: a, address: \"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\", startBlock: 0, standards: [erc999]}]\n", "contracts[0].standards[0]", "erc999"),
        ("duplicate contract", "chain: x\nupstreams: [http://a:1]\ncontracts:\n  - {name: a, address: \"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\", startBlock: 0}\n  - {name: b, address: \"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\", startBlock: 0}\n", "contracts[1].address", "twice"),
        ("not YAML", "chain: [unclosed\n", "", "not valid YAML"),
        ("a list at the top", "- a\n- b\n", "", "mapping"),
    ]

    @Test(arguments: broken.indices)
    func badConfigsNameTheKey(_ i: Int) {
        let (name, text, key, fragment) = Self.broken[i]
        do {
            _ = try NodeConfig.parse(text, relativeTo: "/", environment: [:])
            Issue.record("\(name): accepted")
        } catch {
            #expect((error.key ?? "") == key, "\(name): \(error)")
            #expect(error.description.contains(fragment), "\(name): \(error)")
        }
    }

    @Test func errorsGiveTheLine() {
        do {
            _ = try NodeConfig.parse("chain: x\nupstreams: [http://a:1]\n\nquorum: 9\n", relativeTo: "/", environment: [:])
        } catch {
            #expect(error.line == 4, "\(error)")
            #expect(error.description.hasPrefix("key quorum, line 4: "), "\(error)")
        }
    }

    /// `sinks`: the URL's `${ENV}` expanded (the label keeps the placeholder), schema and name defaulted, and each
    /// mistake named by key and line.
    @Test func sinksAreRead() throws {
        let base = "chain: x\nupstreams: [http://a:1]\ncontracts: [{name: a, address: \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\", startBlock: 0}]\n"
        let config = try NodeConfig.parse(
            base + "sinks:\n  - postgres: {url: \"postgres://p:${PGPASS}@db/assets\"}\n  - postgres: {url: \"postgresql://q@db/x\", schema: other, name: node-b}\n",
            relativeTo: "/", environment: ["PGPASS": "s3cret"])
        #expect(config.sinks.map(\.url) == ["postgres://p:s3cret@db/assets", "postgresql://q@db/x"])
        #expect(config.sinks.map(\.label) == ["postgres://p:${PGPASS}@db/assets", "postgresql://q@db/x"])
        #expect(config.sinks.map(\.schema) == ["provenant", "other"])
        #expect(config.sinks.map(\.name) == ["provenant", "node-b"])
        let bad: [(String, [String: String], String)] = [
            ("sinks:\n  - postgres: {url: \"mysql://db\"}\n", [:], "key sinks[0].postgres.url, line 5: expected a postgres://"),
            ("sinks:\n  - postgres: {url: \"postgres://p:${PGPASS}@db\"}\n", [:], "key sinks[0].postgres.url, line 5: the environment variable PGPASS is not set"),
            ("sinks:\n  - postgres: {url: \"postgres://db\", table: x}\n", [:], "sinks[0].postgres"),
            ("sinks:\n  - kafka: {url: \"x\"}\n", [:], "sinks[0]"),
        ]
        for (text, environment, expected) in bad {
            #expect { try NodeConfig.parse(base + text, relativeTo: "/", environment: environment) } throws: { "\($0)".contains(expected) }
        }
    }
}
