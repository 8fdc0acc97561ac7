// swift-tools-version:6.1
import PackageDescription

// A third party's package that checks Provenant proof bundles offline. It depends on the ProofVerify product
// alone: no LevelDB, zstd, SwiftNIO or HTTP client is built or linked (only libsecp256k1, for sender recovery).
// Build: swift build --package-path examples/verify-bundle
let package = Package(
    name: "VerifyBundle",
    platforms: [.macOS(.v15)],
    // A released consumer names the repository and a version instead: .package(url: "…/provenant", from: "…").
    dependencies: [.package(name: "Provenant", path: "../..")],
    targets: [
        .executableTarget(
            name: "verify-bundle",
            dependencies: [.product(name: "ProofVerify", package: "Provenant")]),
    ],
    swiftLanguageModes: [.v6]
)
