import ArgumentParser
import EthPrimitives
import ProvenantNode

// The values the commands take, each parsed once, where ArgumentParser reads it: a bad value is refused with the
// option's name and its help, before the command runs.

/// A contract or holder address: `0x` and 40 hex digits, any case; a mixed-case one must carry a valid EIP-55
/// checksum.
extension Address: ExpressibleByArgument {
    public init?(argument: String) {
        guard let address = try? Address(checksummedHex: argument) else { return nil }
        self = address
    }
}

/// A token id: a `0x` QUANTITY (no leading zeros) or a decimal number, up to 2^256 - 1.
struct TokenID: ExpressibleByArgument {
    let value: UInt256

    init?(argument: String) {
        if argument.hasPrefix("0x") {
            guard let value = try? UInt256(quantity: argument) else { return nil }
            self.value = value
        } else {
            guard let value = UInt256(decimal: argument) else { return nil }
            self.value = value
        }
    }
}

/// The block a proof bundle anchors to: `latest` (the indexed head), `nearest` (the first multiple of `--every`
/// at or above the token's last event) or a block number.
enum AnchorChoice: ExpressibleByArgument {
    case latest, nearest, block(UInt64)

    init?(argument: String) {
        switch argument {
        case "latest": self = .latest
        case "nearest": self = .nearest
        default:
            guard let number = UInt64(argument) else { return nil }
            self = .block(number)
        }
    }
}

/// A listening address, `host:port`; port 0 takes any free port.
struct HostPort: ExpressibleByArgument, CustomStringConvertible {
    let host: String
    let port: Int

    init(host: String, port: Int) { (self.host, self.port) = (host, port) }

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]), (0...65_535).contains(port)
        else { return nil }
        self.init(host: String(argument[..<colon]), port: port)
    }

    var description: String { "\(host):\(port)" }
    var defaultValueDescription: String { description }
}

/// `--data-dir`, shared by every command that reads or fills a data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (LevelDB; a command that fills one creates it).")
    var path = "./provenant-data"

    /// Opens the directory; only a command that fills one may `create` it.
    func open(create: Bool = false) throws -> DataDirectory { try DataDirectory(path: path, create: create) }
}
