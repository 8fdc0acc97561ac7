import EthPrimitives
import Testing
import TestSupport

@testable import EthCrypto

/// The Keccak team's KATs for Keccak-256 (rate 1088, `0x01` padding), as Ethereum uses it.
@Suite("Keccak-256 KATs", .needsVectors)
struct KeccakVectorTests {
    /// `(message, digest)` pairs of a KAT file, byte-aligned entries only (`Len = 0` is the empty message).
    static func entries(_ file: String) throws -> [(msg: [UInt8], md: Hash32)] {
        var out: [(msg: [UInt8], md: Hash32)] = []
        var length = -1
        var message: [UInt8] = []
        for line in try Vectors.text("keccak/\(file)").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "Len": length = Int(parts[1])!
            case "Msg": message = length == 0 ? [] : Array(bytes(fromHex: parts[1]).prefix(length / 8))
            case "MD":
                if length % 8 == 0 { out.append((message, Hash32(bytes: bytes(fromHex: parts[1]))!)) }
            default: break
            }
        }
        return out
    }

    @Test func shortMessages() throws {
        let kats = try Self.entries("ShortMsgKAT_256.txt")
        for (msg, md) in kats { #expect(keccak256(msg) == md, "Len = \(msg.count * 8)") }
        #expect(kats.count == 256)
    }

    @Test func longMessages() throws {
        let kats = try Self.entries("LongMsgKAT_256.txt")
        for (msg, md) in kats { #expect(keccak256(msg) == md, "Len = \(msg.count * 8)") }
        #expect(kats.count == 65)
    }

    /// Streaming over pieces that straddle block boundaries equals one-shot hashing.
    @Test func streamingMatchesOneShot() throws {
        var rng = SplitMix64(seed: 136)
        for (msg, md) in try Self.entries("LongMsgKAT_256.txt") {
            var hasher = Keccak256()
            var rest = msg[...]
            while !rest.isEmpty {
                let n = min(rest.count, Int.random(in: 0...300, using: &rng))
                hasher.update(rest.prefix(n))
                rest = rest.dropFirst(n)
            }
            #expect(hasher.finalize() == md)
        }
    }

    /// 1 GiB: `Text` repeated `Repeat` times, streamed.
    @Test func extremelyLongMessage() throws {
        var text: [UInt8] = []
        var repeats = 0
        var digest: Hash32?
        for line in try Vectors.text("keccak/ExtremelyLongMsgKAT_256.txt").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "Repeat": repeats = Int(parts[1])!
            case "Text": text = Array(parts[1].utf8)
            case "MD": digest = Hash32(bytes: bytes(fromHex: parts[1]))
            default: break
            }
        }
        #expect(repeats * text.count == 1 << 30)
        // Feed 1 MiB chunks: the same bytes, far fewer calls.
        let chunk = Array(repeatElement(text, count: (1 << 20) / text.count).joined())
        var hasher = Keccak256()
        for _ in 0..<(repeats * text.count / chunk.count) { hasher.update(chunk) }
        #expect(hasher.finalize() == digest)
    }
}

@Suite("Keccak-256 and EIP-55")
struct KeccakTests {
    @Test func knownDigests() {
        #expect(keccak256([UInt8]()).hex == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(keccak256([0x80] as [UInt8]).hex == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        #expect(keccak256(Array("Transfer(address,address,uint256)".utf8)).hex
            == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
    }

    /// The examples of https://eips.ethereum.org/EIPS/eip-55.
    @Test(arguments: [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ])
    func checksum(_ mixed: String) throws {
        let address = try Address(hex: mixed.lowercased())
        #expect(address.checksummed == mixed)
        #expect(try Address(checksummedHex: mixed) == address)
        // Flip the case of one letter: the checksum no longer holds.
        var chars = Array(mixed)
        let i = chars.indices.dropFirst(2).first { chars[$0].isLetter }!
        chars[i] = chars[i].isUppercase ? Character(chars[i].lowercased()) : Character(chars[i].uppercased())
        #expect(throws: HexError.badChecksum) { try Address(checksummedHex: String(chars)) }
    }
}

import Foundation
