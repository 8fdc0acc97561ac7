public import Foundation

/// The repository's own files, found from this source file's path, so tests run the same from any directory.
public enum Repository {
    /// The package root: Tests/TestSupport/Repository.swift → Tests/TestSupport → Tests → the root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under the root.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The bytes of `chainspec/NAME.json`.
    public static func chainspecJSON(_ name: String) throws -> Data { try Data(contentsOf: url("chainspec/\(name).json")) }
}

/// A path in the temporary directory that nothing else uses: a test's database or file, named by what it holds.
public func temporaryPath(_ prefix: String, extension suffix: String? = nil) -> String {
    let name = "provenant-\(prefix)-\(UUID().uuidString)" + (suffix.map { ".\($0)" } ?? "")
    return FileManager.default.temporaryDirectory.appendingPathComponent(name).path
}
