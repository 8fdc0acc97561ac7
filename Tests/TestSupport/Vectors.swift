import Foundation

/// Where the shared third-party vectors live and how tests load them. The vectors are never copied into the
/// repository: tests read them in place from `PROVENANT_VECTORS` (default `../shared/vectors` beside the clone).
///
/// Without them a suite is skipped by name (Swift Testing prints the reason) rather than passing silently;
/// `.ci/run` sets `PROVENANT_REQUIRE_VECTORS=1`, which turns a missing file into a failure instead.
public enum Vectors {
    public static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["PROVENANT_VECTORS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        // Tests/TestSupport/Vectors.swift → package root → ../shared/vectors
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }()

    public static let required = ProcessInfo.processInfo.environment["PROVENANT_REQUIRE_VECTORS"] == "1"

    /// Whether vector suites should run: the folder exists, or CI requires it (and the load then fails loudly).
    public static let shouldRun: Bool =
        required || FileManager.default.fileExists(atPath: root.appendingPathComponent("README.md").path)

    public static let skipReason: Comment = "shared vectors not found at \(root.path) (set PROVENANT_VECTORS)"

    public struct MissingFile: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "vector file missing: \(path)" }
    }

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func data(_ relative: String) throws -> Data {
        let url = url(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingFile(path: url.path) }
        return try Data(contentsOf: url)
    }

    public static func text(_ relative: String) throws -> String {
        String(decoding: try data(relative), as: UTF8.self)
    }

    public static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: try data(relative), options: [.fragmentsAllowed])
    }

    /// The `.json` files in a vector folder, sorted.
    public static func files(in relative: String) throws -> [String] {
        let url = url(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingFile(path: url.path) }
        return try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { $0.hasSuffix(".json") }.sorted().map { "\(relative)/\($0)" }
    }
}

import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where the vectors are (or CI requires them), else skips it naming why.
    public static var needsVectors: Self { .enabled(if: Vectors.shouldRun, Vectors.skipReason) }
}
