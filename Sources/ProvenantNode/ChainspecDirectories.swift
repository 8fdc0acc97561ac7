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

    /// The chainspec `nameOrPath` names: a file name in one of `search` without `.json`, or a path.
    public static func load(_ nameOrPath: String) throws(NodeError) -> Chainspec {
        do { return try Chainspec.load(nameOrPath, directories: search) } catch { throw .chainspec(name: nameOrPath, cause: error) }
    }
}
