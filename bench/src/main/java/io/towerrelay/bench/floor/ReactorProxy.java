package io.towerrelay.bench.floor;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.reactor.ConnectionInitiator;
import org.apache.hc.core5.reactor.DefaultListeningIOReactor;
import org.apache.hc.core5.reactor.IOEventHandlerFactory;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.IOWorkerSelector;
import org.apache.hc.core5.reactor.IOWorkerStats;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The least a reverse proxy on HttpCore5's I/O reactor has to do, and nothing more: what the relay could cost if
 * its HTTP/1.1 path were its own code on HttpCore5's reactor, sessions and line parser, without HttpCore5's
 * HTTP/1.1 duplexers and exchange handlers. The floor phase measures it next to the relay and NGINX.
 *
 * <p>It does what every proxied request needs: both heads parsed (HttpCore5's {@code BasicLineParser}) and
 * rewritten (hop-by-hop headers dropped, {@code X-Forwarded-*} added), upstream keep-alive connections pooled per
 * I/O thread, a client connection and its upstream connection on one thread (as the relay's shared reactor), each
 * chunk written in the event that read it, and the backpressure rule (the upstream is read only while the client
 * took everything written to it). It does not do what a product needs beyond that: request bodies, chunked or
 * close-delimited answers, several nodes, retries, limits, timeouts, TLS, WebSockets, logs or metrics. It answers
 * 501 to a request with a body and 502 to an answer it cannot frame, so a measurement can never count such
 * requests as served.
 *
 * <p>{@code java -cp tower-relay-bench.jar:tower-relay.jar io.towerrelay.bench.floor.ReactorProxy PORT BACKEND_PORT}:
 * the relay's jar supplies HttpCore5, the version the relay runs on. One I/O thread per core, as the relay.
 */
public final class ReactorProxy {

    private ReactorProxy() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        InetSocketAddress backend = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
        Workers workers = new Workers();
        IOEventHandlerFactory handlers = (session, attachment) -> attachment instanceof UpstreamSide upstream
                ? upstream : new ClientSide(workers, backend, port);
        AtomicInteger threadIndex = new AtomicInteger();
        DefaultListeningIOReactor reactor = new DefaultListeningIOReactor(handlers,
                IOReactorConfig.custom()
                        .setIoThreadCount(Runtime.getRuntime().availableProcessors())
                        .setSoTimeout(Timeout.ofMinutes(1))
                        .setTcpNoDelay(true)
                        .setBacklogSize(4096)
                        .build(),
                runnable -> new Workers.Worker(runnable, threadIndex.getAndIncrement()),
                runnable -> new Thread(runnable, "listener"),
                null, null, null, null, ShutdownCommand.GRACEFUL_NORMAL_CALLBACK, workers);
        reactor.start();
        reactor.listen(new InetSocketAddress("127.0.0.1", port), null).get();
        System.out.println("reactor proxy on 127.0.0.1:" + port + " to " + backend);
        System.out.flush();
        reactor.awaitShutdown(TimeValue.MAX_VALUE);
    }

    /**
     * The I/O threads: an accepted connection goes to the one with the fewest sessions, and each keeps its idle
     * upstream connections and opens new ones on itself.
     */
    static final class Workers implements IOWorkerSelector {
        private final AtomicInteger next = new AtomicInteger();
        private volatile ConnectionInitiator[] initiators;

        @Override
        public int select(IOWorkerStats[] stats) {
            if (initiators == null) {
                ConnectionInitiator[] found = new ConnectionInitiator[stats.length];
                for (int i = 0; i < stats.length; i++) {
                    found[i] = (ConnectionInitiator) stats[i]; // each worker is one
                }
                use(found);
            }
            int start = (next.getAndIncrement() & Integer.MAX_VALUE) % stats.length;
            int best = start;
            int fewest = Integer.MAX_VALUE;
            for (int i = 0; i < stats.length; i++) {
                int w = (start + i) % stats.length;
                int load = stats[w].totalChannelCount() + stats[w].pendingChannelCount();
                if (load < fewest) {
                    fewest = load;
                    best = w;
                }
            }
            return best;
        }

        /** The workers' connection initiators, worker i's at index i (HttpCore5's, or {@link SelectorProxy}'s). */
        void use(ConnectionInitiator[] found) {
            initiators = found;
        }

        /** The calling I/O thread. */
        static Worker current() {
            return (Worker) Thread.currentThread();
        }

        ConnectionInitiator initiator(Worker worker) {
            return initiators[worker.index];
        }

        /** An I/O thread and the idle upstream connections it keeps (only it touches them). */
        static final class Worker extends Thread {
            final int index;
            final ArrayDeque<UpstreamSide> idle = new ArrayDeque<>();

            Worker(Runnable runnable, int index) {
                super(runnable, "io-" + index);
                this.index = index;
            }
        }
    }
}
