import EthPrimitives
import EthRPC
import Foundation
import ProofVerify

// Usage: verify-bundle BUNDLE.json TRUSTED_BLOCK_HASH
// Exit status: 0 verified, 1 a check failed, 2 bad arguments or a file that is not a bundle.
let arguments = CommandLine.arguments
guard arguments.count == 3, let bytes = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: verify-bundle BUNDLE.json TRUSTED_BLOCK_HASH\n".utf8))
    exit(2)
}
do {
    let trusted = try Hash32(hex: arguments[2])
    let bundle = try ProofBundle(json: try JSONValue(parsing: Array(bytes)))
    let verified = try bundle.verify(trusting: [trusted])
    print(verified.statements.joined(separator: "\n"))
} catch let error as ProofError where !error.isMalformed {
    print("FAILED: \(error)")
    exit(1)
} catch {
    FileHandle.standardError.write(Data("verify-bundle: \(error)\n".utf8))
    exit(2)
}

extension ProofError {
    /// The file is not a bundle (as opposed to a bundle that fails a check).
    var isMalformed: Bool { if case .malformed = self { true } else { false } }
}
