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

    /// Runs a command to its end and returns its standard output. Output goes through files, not pipes, and the
    /// child is reaped with `waitpid`: a server the command leaves running holds nothing this process waits on.
    @discardableResult
    static func shell(_ arguments: [String], detached: Bool = false) throws -> String {
        let out = temporaryPath("pg-out"), err = temporaryPath("pg-err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, detached ? "/dev/null" : out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, detached ? "/dev/null" : err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = (["/usr/bin/env", "-C", "/tmp"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard spawned == 0 else { throw Unavailable(description: "cannot start \(arguments[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw Unavailable(description: "\(arguments.joined(separator: " ")) exited with status \(status): \(errors)")
        }
        return output
    }

    deinit {
        try? stop(mode: "immediate")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
