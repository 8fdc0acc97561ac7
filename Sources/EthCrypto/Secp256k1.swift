internal import CLibSecp256k1
public import EthPrimitives

/// Why a signature was refused or a key could not be used.
public enum SignatureError: Error, Equatable, Sendable {
    /// r is 0 or not below the group order n.
    case rOutOfRange
    /// s is 0 or not below the group order n.
    case sOutOfRange
    /// s above n/2 where the rules require the low form (EIP-2, every transaction since Homestead).
    case highS
    /// The recovery id (y parity) is not 0 or 1.
    case invalidRecoveryId
    /// libsecp256k1 found no public key for this signature and hash.
    case recoveryFailed
    /// A private key that is 0 or not below n.
    case invalidPrivateKey
}

/// An ECDSA signature over secp256k1 in Ethereum's form: r, s and the y parity of R.
public struct Signature: Hashable, Sendable {
    public var r: UInt256
    public var s: UInt256
    /// 0 or 1 (`v - 27` for pre-EIP-155 transactions).
    public var yParity: UInt8

    public init(r: UInt256, s: UInt256, yParity: UInt8) {
        self.r = r
        self.s = s
        self.yParity = yParity
    }
}

/// secp256k1 through libsecp256k1, which owns every elliptic-curve operation.
public enum Secp256k1 {
    /// The group order n.
    public static let order = UInt256(limbs: (0xBFD2_5E8C_D036_4141, 0xBAAE_DCE6_AF48_A03B, 0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF))
    /// n / 2: the largest s a low-s signature may have.
    public static let halfOrder = order >> 1

    /// Checks the ranges Ethereum requires before any curve work: 0 < r < n, 0 < s < n (s ≤ n/2 if `requireLowS`),
    /// y parity 0 or 1.
    public static func validate(_ signature: Signature, requireLowS: Bool) throws(SignatureError) {
        guard !signature.r.isZero, signature.r < order else { throw .rOutOfRange }
        guard !signature.s.isZero, signature.s < order else { throw .sOutOfRange }
        guard signature.yParity <= 1 else { throw .invalidRecoveryId }
        if requireLowS && signature.s > halfOrder { throw .highS }
    }

    /// Recovers the 65-byte uncompressed public key that signed `hash`.
    public static func recoverPublicKey(_ signature: Signature, hash: Hash32, requireLowS: Bool = true) throws(SignatureError) -> [UInt8] {
        try validate(signature, requireLowS: requireLowS)
        var compact = signature.r.bigEndianBytes
        compact += signature.s.bigEndianBytes
        let context = provenant_secp256k1_context_static()!
        var sig = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &sig, compact, Int32(signature.yParity)) == 1
        else { throw .recoveryFailed }
        var pubkey = secp256k1_pubkey()
        let recovered = hash.withUnsafeBytes { h in
            secp256k1_ecdsa_recover(context, &pubkey, &sig, h.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard recovered == 1 else { throw .recoveryFailed }
        return serialize(pubkey, context: context)
    }

    /// Recovers the address that signed `hash`: the last 20 bytes of keccak256 of the public key's x‖y.
    public static func recoverAddress(_ signature: Signature, hash: Hash32, requireLowS: Bool = true) throws(SignatureError) -> Address {
        address(ofPublicKey: try recoverPublicKey(signature, hash: hash, requireLowS: requireLowS))
    }

    /// The address of a 65-byte uncompressed public key.
    public static func address(ofPublicKey key: [UInt8]) -> Address {
        Address(bytes: keccak256(key[1...]).bytes[12...])!
    }

    static func serialize(_ pubkey: secp256k1_pubkey, context: OpaquePointer) -> [UInt8] {
        var key = pubkey
        var out = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(context, &out, &length, &key, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return out
    }
}

/// A libsecp256k1 context for signing and key derivation (the static context cannot sign). Owns the context and
/// destroys it on deinit; libsecp256k1 allows concurrent use of one context for signing.
final class SigningContext: @unchecked Sendable {
    let pointer: OpaquePointer

    static let shared = SigningContext()

    private init() {
        pointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
    }

    deinit { secp256k1_context_destroy(pointer) }
}

/// A secp256k1 private key, for the dev chain and tests: it signs hashes and knows its address.
public struct PrivateKey: Sendable {
    private let secret: [UInt8]
    /// The 65-byte uncompressed public key.
    public let publicKey: [UInt8]
    /// The account address of this key.
    public var address: Address { Secp256k1.address(ofPublicKey: publicKey) }

    /// A key from 32 big-endian bytes; refuses 0 and values not below n.
    public init(bytes: [UInt8]) throws(SignatureError) {
        guard bytes.count == 32, let value = UInt256(bigEndian: bytes), !value.isZero, value < Secp256k1.order
        else { throw .invalidPrivateKey }
        let context = SigningContext.shared.pointer
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &pubkey, bytes) == 1 else { throw .invalidPrivateKey }
        secret = bytes
        publicKey = Secp256k1.serialize(pubkey, context: context)
    }

    /// Signs a 32-byte hash (RFC 6979 nonces; libsecp256k1 always returns low s).
    public func sign(_ hash: Hash32) -> Signature {
        var sig = secp256k1_ecdsa_recoverable_signature()
        let context = SigningContext.shared.pointer
        let ok = hash.withUnsafeBytes { h in
            secp256k1_ecdsa_sign_recoverable(context, &sig, h.baseAddress!.assumingMemoryBound(to: UInt8.self), secret, nil, nil)
        }
        precondition(ok == 1, "libsecp256k1 failed to sign with a validated key")
        var compact = [UInt8](repeating: 0, count: 64)
        var recid: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(context, &compact, &recid, &sig)
        return Signature(
            r: UInt256(bigEndian: compact[0..<32])!, s: UInt256(bigEndian: compact[32..<64])!, yParity: UInt8(recid))
    }
}
