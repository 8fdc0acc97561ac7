public import EthPrimitives

/// On-chain bytes shown to a person: quoted UTF-8 text when they are valid UTF-8, hex otherwise. They are
/// untrusted, so control characters (a terminal's escape sequences, line breaks that would forge a line of the
/// verifier's output) are shown escaped, never written raw.
package enum ReadableText {
    /// `"text"` with `\"`, `\\` and control characters escaped, or `0x…` hex when the bytes are not UTF-8.
    package static func show(_ bytes: [UInt8]) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { return Hex.encode(bytes) + " (not UTF-8)" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                // C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows.
                let isControl = scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
                let isBidi = (0x202a...0x202e).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
                out += isControl || isBidi ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
            }
        }
        return out + "\""
    }
}

/// Unix seconds as an ISO 8601 UTC time, computed without Foundation (a verifier with no dependencies).
package enum UTCTime {
    /// `YYYY-MM-DDTHH:MM:SSZ`; times past year 9999 are shown as seconds.
    package static func format(_ seconds: UInt64) -> String {
        guard seconds < 253_402_300_800 else { return "\(seconds) s after 1970" }
        let days = Int64(seconds / 86_400), rest = Int64(seconds % 86_400)
        // Days to a civil date in the proleptic Gregorian calendar (H. Hinnant's days_from_civil, inverted).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}
