// swift-tools-version:6.1
import PackageDescription

// The libFuzzer harness, a nested package so the main build never links libFuzzer. One binary; the target is
// chosen by FUZZ_TARGET (a case of `FuzzTarget`). Build and run with scripts/fuzz.sh, which passes
// `-sanitize=fuzzer,address` to every Swift module, so the project's code is instrumented for coverage.
let package = Package(
    name: "ProvenantFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Provenant", path: "..")],
    targets: [
        .executableTarget(
            name: "provenant-fuzz",
            dependencies: [.product(name: "FuzzTargets", package: "Provenant")]),
    ],
    swiftLanguageModes: [.v6]
)
