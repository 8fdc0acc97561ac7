internal import Foundation

/// A real PostgreSQL server (Debian's `postgresql` package) in a temporary directory, listening only on a Unix
/// socket there, for as long as the test needs it: `initdb`, `pg_ctl start`, and `pg_ctl stop` plus removal at
/// `stop()` or deinit. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (`runuser`).
public final class PostgresServer: @unchecked Sendable {
    /// Why no server could be started: the test says so by name and skips, and CI (which installs the package)
    /// fails instead.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: String
    public let port = 5432
    let bin: String
    private var running = false

    /// The URL the sink and `provenant export` take.
    public var url: String { "postgres://provenant@/postgres?host=\(directory)&sslmode=disable" }

    /// Whether a server can be started here.
    public static var isInstalled: Bool { binaries() != nil }

    /// The server binaries' directory: the newest `/usr/lib/postgresql/N/bin` holding `initdb`.
    static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    public init() throws {
        guard let bin = Self.binaries() else {
            throw Unavailable(description: "PostgreSQL is not installed (apt-get install -y postgresql): no /usr/lib/postgresql/*/bin/initdb")
        }
        self.bin = bin
        directory = temporaryPath("pg")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if geteuid() == 0 { try Self.shell(["chown", "postgres:postgres", directory]) }
        try runAsOwner(["\(bin)/initdb", "-D", "\(directory)/data", "-U", "provenant", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try start()
    }

    /// Starts (or starts again) the server on its data directory.
    public func start() throws {
        // The server outlives pg_ctl: it must not inherit a pipe this process waits to see closed.
        try runAsOwner(detached: true, [
            "\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "60",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=''", "start",
        ])
        running = true
    }

    /// Stops the server: `fast` finishes nothing in flight (clients are disconnected), `immediate` is a crash.
    public func stop(mode: String = "fast") throws {
        guard running else { return }
        try runAsOwner(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", mode, "-w", "stop"])
        running = false
    }

    /// Runs SQL with `psql` and returns its unaligned, tuples-only output lines (fields separated by `|`).
    public func psql(_ sql: String) throws -> [String] {
        let out = try runAsOwner(["\(bin)/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", "\(port)", "-U", "provenant", "-d", "postgres", "-c", sql])
        return out.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    @discardableResult
    func runAsOwner(detached: Bool = false, _ arguments: [String]) throws -> String {
        try Self.shell(geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] + arguments : arguments, detached: detached)
    }

    /// Runs a command to its end; its output, unless `detached` (whose output goes nowhere, so that a server it
    /// leaves running holds no pipe of ours).
    @discardableResult
    static func shell(_ arguments: [String], detached: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let out = Pipe(), err = Pipe()
        process.standardOutput = detached ? FileHandle.nullDevice : out
        process.standardError = detached ? FileHandle.nullDevice : err
        try process.run()
        let output = detached ? Data() : out.fileHandleForReading.readDataToEndOfFile()
        let errors = detached ? Data() : err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Unavailable(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    deinit {
        try? stop(mode: "immediate")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
