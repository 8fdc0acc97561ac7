internal import Foundation
internal import NIOSSL
internal import PostgresNIO

/// A libpq-style connection URL, as users already write them:
///
///     postgres[ql]://[user[:password]@][host][:port][/database][?sslmode=disable|prefer|require][&host=/socket/dir]
///
/// A `host` parameter that is a directory (or an empty host with one) connects over the Unix socket
/// `DIR/.s.PGSQL.PORT`, as libpq does. Percent-escapes are decoded in the user, password and database. The
/// password is never printed: `redacted` is the URL with it replaced.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String?
    /// The socket directory, when the URL names one.
    public var socketDirectory: String?
    public var sslMode: SSLMode

    /// `sslmode`: `prefer` (libpq's default) tries TLS and falls back; `require` refuses a server without it.
    public enum SSLMode: String, Sendable { case disable, prefer, require }

    /// Why a URL cannot be used, naming the part.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(_ text: String) throws(Problem) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw Problem(description: "expected a postgres:// or postgresql:// URL")
        }
        user = components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 } ?? "postgres"
        password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
        host = components.host ?? ""
        port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw Problem(description: "port \(port) is out of range") }
        let path = components.percentEncodedPath.removingPercentEncoding ?? components.percentEncodedPath
        database = path.count > 1 ? String(path.dropFirst()) : nil
        sslMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw Problem(description: "sslmode must be disable, prefer or require, not \"\(item.value ?? "")\"")
                }
                sslMode = mode
            case "host":
                guard let value = item.value, value.hasPrefix("/") else { throw Problem(description: "the host parameter must be a socket directory (an absolute path)") }
                socketDirectory = value
            case "user":
                user = item.value ?? user
            case "password":
                password = item.value
            default:
                throw Problem(description: "unknown parameter \"\(item.name)\" (known: sslmode, host, user, password)")
            }
        }
        if host.hasPrefix("/") { (socketDirectory, host) = (host, "") }
        if socketDirectory == nil && host.isEmpty { host = "localhost" }
    }

    /// The URL with its password replaced by `***`: what logs and errors show.
    public var redacted: String {
        var text = "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database ?? "")"
        if let socketDirectory { text += "?host=\(socketDirectory)" }
        return text
    }

    public var description: String { redacted }

    /// The connection settings PostgresNIO takes.
    func configuration() throws(Problem) -> PostgresConnection.Configuration {
        if let socketDirectory {
            return PostgresConnection.Configuration(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable:
            tls = .disable
        case .prefer, .require:
            let context: NIOSSLContext
            do { context = try NIOSSLContext(configuration: .makeClientConfiguration()) } catch {
                throw Problem(description: "cannot set up TLS: \(error)")
            }
            tls = sslMode == .require ? .require(context) : .prefer(context)
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
