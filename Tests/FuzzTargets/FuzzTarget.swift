import AssetIndex
import DevChain
import EthPrimitives
import EthRLP
import EthRPC
import EthTypes
import Foundation
import HTTPTransport
import Ingest
import NIOCore
import NodeConfig
import ProofVerify
import Server
import Store

/// The decoders that take bytes from outside, as fuzz targets: each runs one input through a decoder and checks what
/// must hold of any input it accepts (a canonical encoding re-encodes to the same bytes; a parser gives the same
/// answer however the bytes arrive). A violation traps, which libFuzzer reports as a crash with its input.
///
/// The same functions serve `fuzz/` (libFuzzer's `LLVMFuzzerTestOneInput`, with address sanitizer) and `swift test`,
/// which replays every input a fuzzer once crashed on (`Tests/FuzzRegressions/<target>/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `RLPItem(decoding:)`, the generic RLP reader.
    case rlp
    /// `Header(rlp:)`.
    case header
    /// `Transaction(encoded:)`, and its signing payload and sender recovery.
    case transaction
    /// `Receipt(encoded:)`.
    case receipt
    /// `JSONValue(parsing:)` and the tape reader over `JSONTape`, the one JSON parser of requests, answers and bundles.
    case json
    /// `Dispatcher.handle(bytes:)` over the query methods of a small dev chain's index.
    case rpc
    /// `RequestParser`, the HTTP/1.1 request parser of the server.
    case http
    /// `ProofBundle(json:)` and `verify(trusting:)`, trusting the bundle's own anchor so verification runs deep.
    case bundle
    /// `NodeConfig.parse` (YAML) and `Chainspec.decode` (JSON), by the input's first byte.
    case config

    /// Runs one input; traps when a property of an accepted input fails. Returns whether the input was accepted
    /// (decoded; for `rpc`, answered with a result; for `bundle`, verified).
    @discardableResult
    public func run(_ input: [UInt8]) -> Bool {
        switch self {
        case .rlp: return Self.rlp(input)
        case .header: return Self.header(input)
        case .transaction: return Self.transaction(input)
        case .receipt: return Self.receipt(input)
        case .json: return Self.json(input)
        case .rpc:
            guard let answer = Self.dispatcher.handle(bytes: input), let reply = try? JSONValue(parsing: Array(answer)) else { return false }
            return reply["result"] != nil
        case .http: return Self.http(input)
        case .bundle: return Self.bundle(input)
        case .config: return Self.config(input)
        }
    }

    static func rlp(_ input: [UInt8]) -> Bool {
        guard let item = try? RLPItem(decoding: input) else { return false }
        var e = RLPEncoder()
        e.append(item)
        precondition(e.bytes == input, "a decoded RLP item re-encodes to other bytes: the decoder took a non-canonical encoding")
        return true
    }

    static func header(_ input: [UInt8]) -> Bool {
        guard let header = try? Header(rlp: input) else { return false }
        precondition(header.fields.rlp == input, "header \(header.number) re-encodes to other bytes")
        return true
    }

    static func transaction(_ input: [UInt8]) -> Bool {
        guard let tx = try? Transaction(encoded: input) else { return false }
        precondition(tx.fields.encode(v: tx.v, r: tx.r, s: tx.s) == input, "a decoded transaction re-encodes to other bytes")
        _ = tx.signingHash
        _ = try? tx.recoverSender()
        _ = tx.intrinsicGas(fork: .prague)
        return true
    }

    static func receipt(_ input: [UInt8]) -> Bool {
        guard let receipt = try? Receipt(encoded: input) else { return false }
        precondition(receipt.encoded == input, "a decoded receipt re-encodes to other bytes")
        precondition((try? Receipt.logCount(encoded: input)) == receipt.logs.count, "the log count disagrees with the receipt")
        return true
    }

    static func json(_ input: [UInt8]) -> Bool {
        guard let value = try? JSONValue(parsing: input) else { return false }
        let text = value.serialized()
        guard let again = try? JSONValue(parsing: text) else { preconditionFailure("serialized JSON does not parse") }
        precondition(again.serialized() == text, "serialized JSON changes when parsed and serialized again")
        // The tape reader (upstream answers) finds each member the tree holds, repeated names included.
        guard let tape = try? JSONTape(parsing: input) else { preconditionFailure("the tape refuses what the tree parsed") }
        if case .object(let members) = value {
            for (name, member) in members {
                precondition((try? JSONReader(tape).member(name))??.value == member, "the tape reads member \(name) otherwise")
            }
        }
        return true
    }

    /// The parts of a request stream, with each request's body pieces joined: what must not depend on where the
    /// stream was cut.
    enum Parsed: Equatable {
        case head(String)
        case body([UInt8])
        case end
        case refused(Int)
    }

    static func http(_ input: [UInt8]) -> Bool {
        func parse(cuttingAt cut: Int) -> [Parsed] {
            var parser = RequestParser()
            var parts: [Parsed] = []
            var buffer = ByteBuffer()
            for piece in [input[..<cut], input[cut...]] {
                buffer.writeBytes(piece)
                while true {
                    let part: RequestParser.Part?
                    do throws(RequestError) { part = try parser.next(&buffer) } catch {
                        parts.append(.refused(error.status))
                        return parts
                    }
                    guard let part else { break }
                    switch part {
                    case .head(let head): parts.append(.head("\(head)"))
                    case .body(let piece):
                        let bytes = Array(piece.readableBytesView)
                        if case .body(let before)? = parts.last { parts[parts.count - 1] = .body(before + bytes) } else { parts.append(.body(bytes)) }
                    case .end: parts.append(.end)
                    }
                }
            }
            return parts
        }
        let whole = parse(cuttingAt: input.count)
        let cut = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
        precondition(parse(cuttingAt: cut) == whole, "the parts of a request depend on where its bytes were cut (at \(cut))")
        return whole.contains(.end) && !whole.contains { if case .refused = $0 { true } else { false } }
    }

    static func bundle(_ input: [UInt8]) -> Bool {
        guard let json = try? JSONValue(parsing: input), let bundle = try? ProofBundle(json: json) else { return false }
        precondition((try? ProofBundle(json: bundle.json)) == bundle, "a bundle read back from its own JSON differs")
        return (try? bundle.verify(trusting: [bundle.anchor.hash])) != nil
    }

    static func config(_ input: [UInt8]) -> Bool {
        guard let first = input.first else { return false }
        if first & 1 == 0 {
            return (try? NodeConfig.parse(String(decoding: input.dropFirst(), as: UTF8.self), relativeTo: "/nonexistent", environment: ["TOKEN": "x"])) != nil
        }
        return (try? Chainspec.decode(Array(input.dropFirst()))) != nil
    }

    /// A valid bundle's JSON, from the dev chain: token 1's proof as `asset_proof` answers it.
    public static func sampleBundle() -> [UInt8] {
        let request = #"{"jsonrpc":"2.0","id":1,"method":"asset_proof","params":["\#(DevChain.Contract.visions.address.hex)","0x1"]}"#
        guard let answer = dispatcher.handle(bytes: Array(request.utf8)), let result = try? JSONValue(parsing: Array(answer))["result"] else {
            preconditionFailure("the dev chain's token 1 has no proof")
        }
        return result.serialized()
    }

    /// The query methods over the index of a 40-block dev chain, built once.
    static let dispatcher: Dispatcher = {
        var chain = DevChain(seed: 3)
        chain.grow(to: 40)
        let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../chainspec/provenant-dev.json")
        let contracts = Set(DevChain.Contract.allCases.map(\.address))
        let index = AssetIndex(store: MemoryStore())
        do {
            let ingestor = Ingestor(index: index, spec: try Chainspec.decode(Array(try Data(contentsOf: spec))), watched: contracts)
            var parent: Header?
            for block in chain.blocks {
                try ingestor.ingest(block.rpc, receipts: block.receipts, parent: parent)
                parent = block.header
            }
        } catch {
            preconditionFailure("the dev chain does not index: \(error)")
        }
        return AssetMethods(index: index, chainId: DevChain.chainId, watched: contracts).dispatcher()
    }()
}
