public import Foundation

/// The repository's own files, found from this source file's path, so tests run the same from any directory.
public enum Repository {
    /// The package root: Tests/TestSupport/Repository.swift → Tests/TestSupport → Tests → the root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under the root.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The bytes of `chainspec/NAME.json`.
    public static func chainspecJSON(_ name: String) throws -> Data { try Data(contentsOf: url("chainspec/\(name).json")) }

    /// Every line of the Swift sources under `Sources/`, outside the module folders in `excluded`, for tests that
    /// hold the code to a rule: the file's path from `Sources/`, the line's number and text.
    public static func sourceLines(excluding excluded: Set<String> = []) throws -> [(file: String, number: Int, text: Substring)] {
        let sources = url("Sources")
        var lines: [(file: String, number: Int, text: Substring)] = []
        guard let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        for case let file as URL in files where file.pathExtension == "swift" {
            let relative = String(file.path.dropFirst(sources.path.count + 1))
            guard let module = relative.split(separator: "/").first, !excluded.contains(String(module)) else { continue }
            for (i, text) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                lines.append((relative, i + 1, text))
            }
        }
        return lines
    }
}

/// A path in the temporary directory that nothing else uses: a test's database or file, named by what it holds.
public func temporaryPath(_ prefix: String, extension suffix: String? = nil) -> String {
    let name = "provenant-\(prefix)-\(UUID().uuidString)" + (suffix.map { ".\($0)" } ?? "")
    return FileManager.default.temporaryDirectory.appendingPathComponent(name).path
}
