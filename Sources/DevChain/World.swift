internal import TokenEvents
internal import EthCrypto
internal import EthPrimitives

/// The dev chain's contracts as plain state machines: each call a generated transaction makes, the calldata it
/// carries, and the events a standard implementation would emit for it.
struct World: Sendable {
    var owners: [UInt64: UInt64] = [:]  // visions token id → account index + 1 (0 would be ambiguous)
    var nextToken: UInt64 = 1
    var editions: [UInt64: [Address: UInt64]] = [:]
    var shares: [Address: UInt64] = [:]
    var rentals: [UInt64: (user: Address, expires: UInt64)] = [:]
    var aigc: [UInt64: (prompt: [UInt8], output: [UInt8], minter: Address)] = [:]
    var aigcUpdates: [UInt64: [(prompt: [UInt8], output: [UInt8])]] = [:]
    /// The seed of each AIGC output's image (`DevOutput`), by token: the mint's first, then each update's.
    var images: [UInt64: [UInt64]] = [:]
    var nonces: [Int: UInt64] = [:]
    /// ERC-721 token count per holder (the contract's `_balances`).
    var tokenCounts: [Address: UInt64] = [:]
    /// The storage slots the last action wrote, with their new values (`DevContractLayout`).
    var writes: [(contract: DevChain.Contract, slot: UInt256, value: UInt256)] = []
    /// The shares contract's `totalSupply`.
    var totalShares: UInt64 = 0

    /// Changes `holder`'s ERC-721 token count; the slot write that follows.
    mutating func count(_ holder: Address, by change: Int) -> [(contract: DevChain.Contract, slot: UInt256, value: UInt256)] {
        let count = UInt64(Int(tokenCounts[holder] ?? 0) + change)
        tokenCounts[holder] = count
        return [(.visions, DevContractLayout.tokenCount(holder), UInt256(count))]
    }

    func edition(_ id: UInt64, _ holder: Address) -> (contract: DevChain.Contract, slot: UInt256, value: UInt256) {
        (.editions, DevContractLayout.edition(id, holder), UInt256(editions[id]?[holder] ?? 0))
    }

    func share(_ holder: Address) -> (contract: DevChain.Contract, slot: UInt256, value: UInt256) {
        (.shares, DevContractLayout.shares(holder), UInt256(shares[holder] ?? 0))
    }

    mutating func nextNonce(of account: Int) -> UInt64 {
        defer { nonces[account, default: 0] += 1 }
        return nonces[account, default: 0]
    }

    /// One action by `caller`: which contract it calls, with what calldata, and the events that follow.
    mutating func action(by caller: Address, among accounts: [Address], rng: inout Generator, block: UInt64)
        -> (DevChain.Contract, [UInt8], [TokenEvent])
    {
        writes = []
        let other = accounts[Int(rng.next() % UInt64(accounts.count))]
        switch rng.next() % 10 {
        case 0, 1, 2:
            // Mint with AIGC data: the prompt and output travel in the calldata, their hashes in the log.
            let id = nextToken
            nextToken += 1
            owners[id] = UInt64(accounts.firstIndex(of: caller)! + 1)
            writes = [(.visions, DevContractLayout.owner(id), UInt256(caller))] + count(caller, by: 1)
            var prompt = Array("a lighthouse at dusk, seed \(rng.next() % 1_000_000), style \(rng.next() % 17)".utf8)
            // Prompts are anyone's text: now and then one that would run as markup, or is not UTF-8 at all.
            if id % 23 == 5 { prompt = Array(DevChain.hostilePrompt.utf8) + prompt }
            if id % 23 == 11 { prompt = [0xff, 0xfe, 0x3c, 0x62, 0x3e] + prompt }
            let imageSeed = rng.next()
            let output = DevOutput.reference(to: DevOutput.image(seed: imageSeed), style: imageSeed >> 32)
            images[id] = [imageSeed]
            let proof = Array(keccak256(prompt + output).bytes[0..<16])
            aigc[id] = (prompt, output, caller)
            let input = ABIEncoding.call(
                "mintWithAigc(address,uint256,bytes,bytes,bytes)", static: [UInt256(caller), UInt256(id)],
                dynamic: [prompt, output, proof].map(ABIEncoding.bytes))
            return (.visions, input, [
                .erc721Transfer(from: .zero, to: caller, tokenId: UInt256(id)),
                .aigcData(tokenId: UInt256(id), promptHash: keccak256(prompt), aigcDataHash: keccak256(output), proof: proof),
            ])
        case 3, 4:
            // Transfer one of the caller's tokens, if it has one.
            let mine = owners.filter { $0.value == UInt64(accounts.firstIndex(of: caller)! + 1) }.keys.sorted()
            guard let id = mine.isEmpty ? nil : mine[Int(rng.next() % UInt64(mine.count))] else { fallthrough }
            let choice = rng.next() % 6
            if choice == 2 {
                // Regenerate its output (ERC-7007's updatable extension): a later AIGC record of the same token.
                let prompt = Array("the same lighthouse, revised, seed \(rng.next() % 1_000_000)".utf8)
                let imageSeed = rng.next()
                let output = DevOutput.reference(to: DevOutput.image(seed: imageSeed), style: imageSeed >> 32)
                images[id, default: []].append(imageSeed)
                aigcUpdates[id, default: []].append((prompt, output))
                let input = ABIEncoding.call("update(uint256,bytes,bytes)", static: [UInt256(id)], dynamic: [prompt, output].map(ABIEncoding.bytes))
                return (.visions, input, [.aigcUpdate(tokenId: UInt256(id), promptHash: keccak256(prompt), aigcDataHash: keccak256(output))])
            }
            if choice < 2 {
                // Rent it out (ERC-4907): the owner sets a user until an expiry within the next hour.
                let expires = DevChain.genesisTimestamp + block * DevChain.blockTime + rng.next() % 3_600
                rentals[id] = (other, expires)
                // UserInfo { address user; uint64 expires; } packed: the user low, the expiry in the 8 bytes above.
                writes = [(.visions, DevContractLayout.user(id), UInt256(other) | (UInt256(expires) << 160))]
                let input = ABIEncoding.call("setUser(uint256,address,uint64)", static: [UInt256(id), UInt256(other), UInt256(expires)])
                return (.visions, input, [.updateUser(tokenId: UInt256(id), user: other, expires: expires)])
            }
            let burn = rng.next() % 8 == 0
            let to = burn ? Address.zero : other
            owners[id] = burn ? nil : UInt64(accounts.firstIndex(of: other)! + 1)
            writes = [(.visions, DevContractLayout.owner(id), UInt256(to))] + count(caller, by: -1) + (burn ? [] : count(other, by: 1))
            let input = ABIEncoding.call("transferFrom(address,address,uint256)", static: [UInt256(caller), UInt256(to), UInt256(id)])
            return (.visions, input, [.erc721Transfer(from: caller, to: to, tokenId: UInt256(id))])
        case 5, 6, 7:
            let id = 1 + rng.next() % 5
            let have = editions[id]?[caller] ?? 0
            if have == 0 || rng.next() % 3 == 0 {
                let amount = 1 + rng.next() % 10
                editions[id, default: [:]][caller, default: 0] += amount
                writes = [edition(id, caller)]
                let input = ABIEncoding.call("mint(address,uint256,uint256)", static: [UInt256(caller), UInt256(id), UInt256(amount)])
                return (.editions, input, [.transferSingle(operator: caller, from: .zero, to: caller, id: UInt256(id), value: UInt256(amount))])
            }
            let amount = 1 + rng.next() % have
            editions[id]![caller]! -= amount
            editions[id]![other, default: 0] += amount
            writes = [edition(id, caller), edition(id, other)]
            let input = ABIEncoding.call("safeTransferFrom(address,address,uint256,uint256,bytes)", static: [UInt256(caller), UInt256(other), UInt256(id), UInt256(amount)], dynamic: [ABIEncoding.bytes([])])
            return (.editions, input, [.transferSingle(operator: caller, from: caller, to: other, id: UInt256(id), value: UInt256(amount))])
        default:
            let have = shares[caller] ?? 0
            if have == 0 {
                shares[caller] = 1_000_000
                totalShares += 1_000_000
                writes = [share(caller), (.shares, UInt256(DevContractLayout.sharesTotalSupply), UInt256(totalShares))]
                let input = ABIEncoding.call("mint(address,uint256)", static: [UInt256(caller), UInt256(1_000_000)])
                return (.shares, input, [.erc20Transfer(from: .zero, to: caller, value: UInt256(1_000_000))])
            }
            let amount = 1 + rng.next() % have
            shares[caller] = have - amount
            shares[other, default: 0] += amount
            writes = [share(caller), share(other)]
            let input = ABIEncoding.call("transfer(address,uint256)", static: [UInt256(other), UInt256(amount)])
            return (.shares, input, [.erc20Transfer(from: caller, to: other, value: UInt256(amount))])
        }
    }
}

extension UInt256 {
    /// An address as an ABI word.
    init(_ address: Address) { self = UInt256(bigEndian: address.bytes)! }
}
