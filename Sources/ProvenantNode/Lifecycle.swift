public import ServiceLifecycle
internal import Server

/// The one place the node's commands meet signals: their work runs as services of a group that SIGINT or SIGTERM
/// shuts down gracefully (sync finishes the block it is writing, the server answers the requests in flight).
public enum Lifecycle {
    /// Long-running services (the server, sync beside it) as one group that stops on SIGINT or SIGTERM.
    public static func group(_ services: [any Service], label: String = "provenant") -> ServiceGroup {
        ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: HTTPServer.quietLogger(label)))
    }

    /// Runs `job` until it returns or a signal arrives. A signal cancels it (sync checks cancellation between
    /// blocks, so the store closes cleanly); the job's own error is thrown as it is.
    public static func runUntilSignalled(_ job: @escaping @Sendable () async throws -> Void) async throws {
        let service = ServiceGroupConfiguration.ServiceConfiguration(
            service: JobService(job: job), successTerminationBehavior: .gracefullyShutdownGroup,
            failureTerminationBehavior: .gracefullyShutdownGroup)
        try await ServiceGroup(configuration: .init(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: HTTPServer.quietLogger("provenant"))).run()
    }

    /// A piece of work as a service: a graceful shutdown cancels it, and the cancellation it then throws is the
    /// normal end.
    struct JobService: Service {
        let job: @Sendable () async throws -> Void

        func run() async throws {
            do {
                try await withGracefulShutdownHandler {
                    try await cancelWhenGracefulShutdown { try await job() }
                } onGracefulShutdown: {
                    Log.line("shutting down: finishing the current block and closing the store")
                }
            } catch is CancellationError where Task.isShuttingDownGracefully {
                return
            }
        }
    }
}
