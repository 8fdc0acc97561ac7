// swift-tools-version:6.1
import PackageDescription

// A nested package so the main build never compiles benchmark code or links OpenSSL.
// Run: swift run -c release --package-path benchmarks provenant-bench
let package = Package(
    name: "ProvenantBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Provenant", path: "..")],
    targets: [
        // libcrypto from libssl-dev: OpenSSL's assembly Keccak-f[1600] (EVP SHA3-256) is the baseline.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .executableTarget(
            name: "provenant-bench",
            dependencies: [
                "COpenSSL",
                .product(name: "EthPrimitives", package: "Provenant"),
                .product(name: "EthRLP", package: "Provenant"),
                .product(name: "EthCrypto", package: "Provenant"),
                .product(name: "EthTrie", package: "Provenant"),
                .product(name: "EthTypes", package: "Provenant"),
                .product(name: "EthVerify", package: "Provenant"),
                .product(name: "Store", package: "Provenant"),
                .product(name: "TokenEvents", package: "Provenant"),
                .product(name: "AssetIndex", package: "Provenant"),
                .product(name: "CLibSecp256k1", package: "Provenant"),
                .product(name: "Ingest", package: "Provenant"),
                .product(name: "EthRPC", package: "Provenant"),
                .product(name: "EthUpstream", package: "Provenant"),
                .product(name: "DevChain", package: "Provenant"),
                .product(name: "DevNet", package: "Provenant"),
                .product(name: "Sync", package: "Provenant"),
                .product(name: "Server", package: "Provenant"),
            ],
            path: "Sources/ProvenantBenchmarks"),
    ],
    swiftLanguageModes: [.v6]
)
