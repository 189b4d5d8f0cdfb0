package io.towerrelay.bench.backend;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The benchmark's stand-in for Tower's web tier, run as its own process: small and 64 KiB JSON answers over
 * HTTP/1.1 keep-alive, and WebSockets at {@code /websocket/} that push AWX-like job events.
 *
 * <p>{@code java -cp tower-relay-bench.jar io.towerrelay.bench.backend.Backend PORT [THREADS]}
 */
public final class Backend {

    private Backend() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Backend PORT [THREADS]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        Responses responses = new Responses();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(new BackendLoop(address, responses), "backend-" + i);
            // A loop that dies (an OutOfMemoryError, say) leaves its listening socket open: the kernel would keep
            // giving it its share of new connections, which would never be answered. Better no backend at all, and
            // the reason in backend.log, where the harness reads it.
            t.setUncaughtExceptionHandler((thread, e) -> {
                System.err.println("backend: thread " + thread.getName() + " died, stopping the backend: " + e);
                e.printStackTrace();
                System.err.flush();
                Runtime.getRuntime().halt(70);
            });
            t.start();
        }
        System.out.println("backend listening on 127.0.0.1:" + port + " with " + threads + " threads");
        System.out.flush();
    }
}
