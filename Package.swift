// swift-tools-version:6.1
import PackageDescription

// The module DAG of ARCHITECTURE.md §1: each target sees only the ones below it.
let package = Package(
    name: "Provenant",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "provenant", targets: ["provenant"]),
        .library(name: "EthPrimitives", targets: ["EthPrimitives"]),
        .library(name: "EthRLP", targets: ["EthRLP"]),
        .library(name: "EthCrypto", targets: ["EthCrypto"]),
        .library(name: "EthTrie", targets: ["EthTrie"]),
        .library(name: "EthTypes", targets: ["EthTypes"]),
        .library(name: "EthVerify", targets: ["EthVerify"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "TokenEvents", targets: ["TokenEvents"]),
        .library(name: "AssetIndex", targets: ["AssetIndex"]),
        .library(name: "AssetContent", targets: ["AssetContent"]),
        .library(name: "DevChain", targets: ["DevChain"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "EthRPC", targets: ["EthRPC"]),
        // The offline verifier alone: what a third party embeds to check bundles (no storage, no networking).
        .library(name: "ProofVerify", targets: ["ProofVerify"]),
        .library(name: "Proofs", targets: ["Proofs"]),
        .library(name: "HTTPTransport", targets: ["HTTPTransport"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "EthUpstream", targets: ["EthUpstream"]),
        .library(name: "DevNet", targets: ["DevNet"]),
        .library(name: "Sync", targets: ["Sync"]),
        .library(name: "NodeConfig", targets: ["NodeConfig"]),
        .library(name: "PostgresSink", targets: ["PostgresSink"]),
        .library(name: "ProvenantNode", targets: ["ProvenantNode"]),
        // Exported so the benchmarks can time the bare C call next to ours, through the same module map.
        .library(name: "CLibSecp256k1", targets: ["CLibSecp256k1"]),
        // Exported for fuzz/, the libFuzzer package; `swift test` replays its crash inputs through the same functions.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Tests only: the arbitrary-precision oracle for the UInt256 property tests.
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        // SHA-256 for IPFS content identifiers (already in the graph through async-http-client's TLS stack).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The PostgreSQL sink's client (issue 19).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C libraries, wrapped once each behind a Swift type that owns the pointers.
        .systemLibrary(
            name: "CLibSecp256k1", pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]),
        // Debian's libleveldb-dev ships no pkg-config file; the modulemap links it by name.
        .systemLibrary(name: "CLevelDB", providers: [.apt(["libleveldb-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),

        .target(name: "EthPrimitives"),
        .target(name: "EthRLP", dependencies: ["EthPrimitives"]),
        .target(
            name: "EthCrypto", dependencies: ["EthPrimitives", "CLibSecp256k1"],
            // Keccak-256 is the hot loop of every test that builds a trie or hashes a block; unoptimized it runs at
            // 1/25 of its speed and turns the 1 GiB KAT and the mutation suites into minutes.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "EthTrie", dependencies: ["EthPrimitives", "EthRLP", "EthCrypto"]),
        .target(name: "EthTypes", dependencies: ["EthPrimitives", "EthRLP", "EthCrypto", "EthTrie"]),
        .target(name: "EthVerify", dependencies: ["EthPrimitives", "EthRLP", "EthCrypto", "EthTrie", "EthTypes"]),
        .target(name: "Store", dependencies: ["EthPrimitives", "EthRLP", "EthTrie", "EthTypes", "CLevelDB", "CZstd"]),
        // The event grammar of the indexed standards and ABI reading: pure, over bytes.
        .target(name: "TokenEvents", dependencies: ["EthPrimitives", "EthCrypto", "EthTypes"]),
        .target(name: "AssetIndex", dependencies: ["EthPrimitives", "EthRLP", "EthCrypto", "EthTypes", "TokenEvents", "Store"]),
        // Content identifiers of AIGC outputs (IPFS CIDs, UnixFS) and the forms a record may name a file by.
        .target(name: "AssetContent", dependencies: ["EthPrimitives", "EthCrypto", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "DevChain", dependencies: ["EthPrimitives", "EthRLP", "EthCrypto", "EthTrie", "EthTypes", "TokenEvents", "AssetContent"]),
        .target(name: "Ingest", dependencies: ["EthPrimitives", "EthTypes", "EthVerify", "Store", "TokenEvents", "AssetIndex"]),
        .target(name: "EthRPC", dependencies: ["EthPrimitives", "EthCrypto", "EthTypes"]),
        // HTTP/1.1 on SwiftNIO, answering on the event loop: the node's server and the dev chain's upstream.
        .target(
            name: "HTTPTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Proof bundles and anchor files, and their offline verification: pure functions of the bundle's bytes.
        .target(name: "ProofVerify", dependencies: ["EthPrimitives", "EthRLP", "EthCrypto", "EthTrie", "EthTypes", "EthRPC", "TokenEvents"]),
        // Building bundles and anchor files from what the node stored.
        .target(name: "Proofs", dependencies: ["EthPrimitives", "EthCrypto", "EthTypes", "EthRPC", "Store", "AssetIndex", "ProofVerify", "TokenEvents"]),
        .target(
            name: "EthUpstream",
            dependencies: [
                "EthPrimitives", "EthTypes", "EthVerify", "EthRPC", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "DevNet",
            dependencies: [
                "EthPrimitives", "EthTypes", "EthRPC", "DevChain", "HTTPTransport", "TokenEvents",
            ]),
        .target(
            name: "NodeConfig",
            dependencies: ["EthPrimitives", "EthUpstream", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "Sync",
            dependencies: ["EthPrimitives", "EthTypes", "EthVerify", "EthRPC", "EthUpstream", "Store", "AssetIndex", "Ingest"]),
        .target(
            name: "Server",
            dependencies: [
                "EthPrimitives", "EthCrypto", "EthTrie", "EthTypes", "EthRPC", "Store", "TokenEvents", "AssetIndex", "ProofVerify", "Proofs",
                "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The verified index streamed into PostgreSQL: live behind the store, and `provenant export` by COPY.
        .target(
            name: "PostgresSink",
            dependencies: [
                "EthPrimitives", "EthTypes", "Store", "AssetIndex", "Ingest", "TokenEvents",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The node's composition: data directory, sync and server as services, signals. The CLI is thin over it.
        .target(
            name: "ProvenantNode",
            dependencies: [
                "EthPrimitives", "EthTypes", "EthRPC", "Store", "AssetIndex", "Ingest", "EthUpstream", "Sync", "NodeConfig", "Server", "TokenEvents",
                "Proofs", "ProofVerify", "PostgresSink",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "provenant",
            dependencies: [
                "EthPrimitives", "EthRLP", "EthCrypto", "EthTrie", "EthTypes", "EthVerify", "Store", "AssetIndex",
                "DevChain", "Ingest", "Server", "EthUpstream", "DevNet", "Sync", "NodeConfig", "TokenEvents", "ProofVerify", "Proofs",
                "EthRPC", "ProvenantNode", "AssetContent", "PostgresSink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // Test support, one target for every suite: the shared vectors, the repository's files, temporary paths,
        // the dev chain's spec and direct index, and the dev chain served on a loopback port.
        .target(
            name: "TestSupport", dependencies: ["EthPrimitives", "EthTypes", "EthRPC", "DevChain", "DevNet", "EthUpstream", "Store", "AssetIndex", "Ingest"],
            path: "Tests/TestSupport"),
        // The fuzz targets of fuzz/ (issue 17): each decoder that takes outside bytes, with the properties it must keep.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "EthPrimitives", "EthRLP", "EthRPC", "EthTypes", "HTTPTransport", "NodeConfig", "ProofVerify", "Server", "AssetIndex", "DevChain",
                "Ingest", "Store", .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/FuzzTargets"),
        .testTarget(
            name: "EthPrimitivesTests",
            dependencies: ["EthPrimitives", "TestSupport", .product(name: "BigInt", package: "BigInt")]),
        .testTarget(name: "EthRLPTests", dependencies: ["EthRLP", "TestSupport"]),
        .testTarget(name: "EthCryptoTests", dependencies: ["EthCrypto", "TestSupport"]),
        .testTarget(name: "AssetContentTests", dependencies: ["AssetContent", "EthCrypto", "EthPrimitives"]),
        .testTarget(name: "EthTrieTests", dependencies: ["EthTrie", "TestSupport"]),
        .testTarget(name: "EthTypesTests", dependencies: ["EthTypes", "TestSupport"]),
        .testTarget(name: "EthVerifyTests", dependencies: ["EthVerify", "EthRPC", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "EthPrimitives", "EthRLP", "EthTrie", "EthTypes", "TestSupport"]),
        .testTarget(name: "AssetIndexTests", dependencies: ["AssetIndex", "TokenEvents", "EthRPC", "TestSupport"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "DevChain", "EthTrie", "TokenEvents", "TestSupport"]),
        .testTarget(name: "ProofsTests", dependencies: ["Proofs", "ProofVerify", "Ingest", "DevChain", "EthRPC", "EthRLP", "EthTrie", "EthCrypto", "AssetContent", "TestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "HTTPTransport", "Ingest", "DevChain", "TokenEvents", "TestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "EthRPCTests", dependencies: ["EthRPC", "TestSupport"]),
        .testTarget(name: "NodeConfigTests", dependencies: ["NodeConfig", "EthPrimitives"]),
        .testTarget(name: "EthUpstreamTests", dependencies: ["EthUpstream", "EthRPC", "EthTypes", "EthVerify", "EthPrimitives"]),
        .testTarget(
            name: "SyncTests", dependencies: ["Sync", "DevNet", "DevChain", "Ingest", "Store", "AssetIndex", "EthUpstream", "Server", "EthRPC", "TestSupport"]),
        .testTarget(
            name: "ProvenantNodeTests",
            dependencies: ["ProvenantNode", "NodeConfig", "DevNet", "DevChain", "EthUpstream", "EthRPC", "Sync", "ProofVerify", "TestSupport"]),
        .testTarget(
            name: "PostgresSinkTests",
            dependencies: [
                "PostgresSink", "Sync", "DevNet", "DevChain", "Ingest", "Store", "AssetIndex", "EthUpstream", "EthPrimitives", "EthRPC", "NodeConfig",
                "ProvenantNode", "TestSupport",
            ]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "TestSupport"], exclude: ["inputs"]),
        // Runs the built `provenant` binary as a user would.
        .testTarget(name: "ProvenantCLITests", dependencies: ["provenant", "TestSupport", "DevNet", "DevChain", "AssetIndex", "EthPrimitives"]),
    ],
    swiftLanguageModes: [.v6]
)
