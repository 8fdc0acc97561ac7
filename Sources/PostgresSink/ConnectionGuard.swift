internal import NIOCore
internal import PostgresNIO
internal import Synchronization

/// One connection's calls, each run in a task of its own and given up as soon as the connection closes under it or
/// its time passes. PostgresNIO can leave a call waiting for good when the server goes away between two statements
/// (a COPY started on a closed channel is never answered); this way the sink sees the failure and reconnects, and
/// the abandoned call's transaction ends with its connection.
final class ConnectionGuard: Sendable {
    let connection: PostgresConnection
    /// The call in flight, resumed with a failure when the connection closes.
    private let pending = Mutex<Once?>(nil)

    init(_ connection: PostgresConnection) {
        self.connection = connection
        connection.closeFuture.whenComplete { [weak self] _ in
            self?.pending.withLock { $0 }?.finish(.failure(.database("the connection closed")))
        }
    }

    func run<T: Sendable>(timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws(SinkError) -> T {
        let value = Box<T>()
        let outcome: Result<Void, SinkError> = await withCheckedContinuation { continuation in
            let once = Once(continuation)
            pending.withLock { $0 = once }
            if connection.isClosed { once.finish(.failure(.database("the connection closed"))) }
            let timer = Task { [connection] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                if once.finish(.failure(.database("no answer within \(timeout)"))) { try? await connection.close() }
            }
            Task {
                do {
                    let result = try await body()
                    value.value.withLock { $0 = result }
                    once.finish(.success(()))
                } catch {
                    once.finish(.failure(SinkError.database(error)))
                }
                timer.cancel()
            }
        }
        pending.withLock { $0 = nil }
        try outcome.get()
        guard let result = value.value.withLock({ $0 }) else { throw .database("the call ended without an answer") }
        return result
    }
}

private final class Box<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}

/// A continuation resumed by the first of several racers.
private final class Once: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<Void, SinkError>, Never>?>

    init(_ continuation: CheckedContinuation<Result<Void, SinkError>, Never>) { self.continuation = Mutex(continuation) }

    /// Resumes with `result` unless another racer did; whether this one did.
    @discardableResult
    func finish(_ result: Result<Void, SinkError>) -> Bool {
        guard let continuation = continuation.withLock({ c in defer { c = nil }; return c }) else { return false }
        continuation.resume(returning: result)
        return true
    }
}
