public import EthRPC
public import EthTypes
public import Foundation

/// Where chainspecs are looked up by name, in order.
public enum ChainspecDirectories {
    public static var search: [URL] {
        var directories: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["PROVENANT_CHAINSPEC_DIR"], !dir.isEmpty {
            directories.append(URL(fileURLWithPath: dir))
        }
        directories.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("chainspec"))
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            directories.append(dir.appendingPathComponent("chainspec"))
            // `swift run` builds into <package>/.build/<triple>/<configuration>/.
            directories.append(dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("chainspec"))
        }
        return directories
    }

    /// The chainspec `nameOrPath` names: a file `<name>.json` in the first of `search` that has it, or a path (an
    /// argument containing `/` or ending in `.json`).
    public static func load(_ nameOrPath: String) throws(NodeError) -> Chainspec {
        let candidates: [URL]
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") {
            candidates = [URL(fileURLWithPath: nameOrPath)]
        } else {
            candidates = search.map { $0.appendingPathComponent("\(nameOrPath).json") }
        }
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }),
            let bytes = FileManager.default.contents(atPath: url.path)
        else {
            throw .chainspec(name: nameOrPath, cause: NotFound(candidates: candidates.map(\.path)))
        }
        do throws(JSONDocumentError) { return try Chainspec.decode(Array(bytes)) } catch {
            throw .chainspec(name: nameOrPath, cause: InFile(path: url.path, error: error))
        }
    }

    /// No file for a chainspec name: where it was looked for.
    public struct NotFound: Error, CustomStringConvertible {
        public let candidates: [String]
        public var description: String { "not found; looked for \(candidates.joined(separator: ", "))" }
    }

    /// A chainspec file that does not read: which file, and why.
    public struct InFile: Error, CustomStringConvertible {
        public let path: String
        public let error: JSONDocumentError
        public var description: String { "\(path): \(error)" }
    }
}
