package io.towerrelay.bench.floor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ConnectionInitiator;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * {@link ReactorProxy}'s handlers, unchanged, on the JDK's selector alone instead of HttpCore5's reactor: the same
 * heads parsed and rewritten, the same per-thread upstream pools, the same writes. Set next to the reactor proxy, it
 * shows what HttpCore5's reactor and sessions cost a proxy, and set next to NGINX, what a proxy on the JVM's own
 * socket channels costs.
 *
 * <p>One I/O thread per core, each with its own selector; each also accepts, on a listening socket of its own
 * ({@code SO_REUSEPORT}: the kernel spreads new connections over them), so no connection is handed between
 * threads (HttpCore5 accepts on a listener thread and queues each socket to a worker). No socket timeouts: a
 * benchmark's connections are busy.
 *
 * <p>{@code java -cp tower-relay-bench.jar:tower-relay.jar io.towerrelay.bench.floor.SelectorProxy PORT BACKEND_PORT}.
 */
public final class SelectorProxy {
    private static final int ACCEPTS_PER_EVENT = 16;

    private SelectorProxy() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        InetSocketAddress backend = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        ReactorProxy.Workers workers = new ReactorProxy.Workers();
        Loop[] loops = new Loop[Runtime.getRuntime().availableProcessors()];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new Loop();
        }
        workers.use(loops);
        for (int i = 0; i < loops.length; i++) {
            loops[i].listen(address, () -> new ClientSide(workers, backend, port));
            new ReactorProxy.Workers.Worker(loops[i], i).start();
        }
        System.out.println("selector proxy on 127.0.0.1:" + port + " to " + backend);
        System.out.flush();
    }

    /** Called by a {@link Loop} when its selector says a key is ready. */
    interface Ready {
        void ready(SelectionKey key) throws IOException;
    }

    /** Makes the handler of an accepted connection. */
    interface ClientHandlers {
        IOEventHandler create();
    }

    /** One I/O thread's selector: its accepted connections, and the upstream connections it opens for them. */
    static final class Loop implements Runnable, ConnectionInitiator {
        private final Selector selector;
        /** Sessions closed during this round: told after the round, as HttpCore5's reactor does. */
        private final List<SelectorSession> closed = new ArrayList<>();

        Loop() throws IOException {
            selector = Selector.open();
        }

        void listen(InetSocketAddress address, ClientHandlers handlers) throws IOException {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            server.bind(address, 4096);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT, (Ready) key -> accept(server, handlers));
        }

        private void accept(ServerSocketChannel server, ClientHandlers handlers) throws IOException {
            for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
                SocketChannel channel = server.accept();
                if (channel == null) {
                    return;
                }
                SelectorSession session = open(channel, handlers.create(), SelectionKey.OP_READ);
                session.getHandler().connected(session);
            }
        }

        private SelectorSession open(SocketChannel channel, IOEventHandler handler, int ops) throws IOException {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            SelectorSession session = new SelectorSession(channel, handler, this);
            session.register(channel.register(selector, ops, session));
            return session;
        }

        @Override
        public Future<IOSession> connect(NamedEndpoint endpoint, SocketAddress remote, SocketAddress local,
                Timeout timeout, Object attachment, FutureCallback<IOSession> callback) {
            try {
                SocketChannel channel = SocketChannel.open();
                SelectorSession session = open(channel, (IOEventHandler) attachment, SelectionKey.OP_CONNECT);
                session.connecting(callback);
                channel.connect(remote);
                return CompletableFuture.completedFuture(session);
            } catch (IOException e) {
                callback.failed(e);
                return CompletableFuture.failedFuture(e);
            }
        }

        void closed(SelectorSession session) {
            closed.add(session);
        }

        @Override
        public void run() {
            try {
                while (selector.isOpen()) {
                    selector.select(this::dispatch, 1000);
                    // A disconnected handler may close another session (a client's upstream): it is told in turn.
                    for (int i = 0; i < closed.size(); i++) {
                        SelectorSession session = closed.get(i);
                        try {
                            session.getHandler().disconnected(session);
                        } catch (RuntimeException e) {
                            e.printStackTrace(); // one connection's cleanup failed: the loop goes on
                        }
                    }
                    closed.clear();
                }
            } catch (IOException e) {
                e.printStackTrace();
            }
        }

        private void dispatch(SelectionKey key) {
            Ready ready = (Ready) key.attachment();
            try {
                ready.ready(key);
            } catch (IOException | RuntimeException e) {
                if (ready instanceof SelectorSession session) {
                    session.failed(e);
                } else {
                    e.printStackTrace();
                }
            }
        }
    }
}
