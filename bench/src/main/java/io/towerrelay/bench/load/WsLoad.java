package io.towerrelay.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The WebSocket load generator (plain JDK NIO, no WebSocket library): opens sockets through a proxy to the
 * backend's {@code /websocket/}, subscribes, and counts delivered job events and their latency.
 * One instance per measurement; {@link #close()} closes every socket and stops the threads.
 */
public final class WsLoad implements AutoCloseable {

    private static final int HANDSHAKES_IN_FLIGHT = 250;

    private final List<WsClientLoop> loops = new ArrayList<>();
    private final List<WsClientConnection> connections = new ArrayList<>();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong lostOpen = new AtomicLong();

    public WsLoad(int threads) throws IOException {
        for (int i = 0; i < threads; i++) {
            WsClientLoop loop = new WsClientLoop(accepted, failed, lostOpen);
            loops.add(loop);
            Thread t = new Thread(loop, "ws-load-" + i);
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Opens {@code count} WebSockets to {@code target}{@code path} and waits until each got AWX's accept message.
     * Handshakes are opened in waves so that no proxy's listen backlog overflows.
     *
     * @throws IOException when a socket failed or the whole did not finish within {@code timeout}
     */
    public void open(InetSocketAddress target, String path, int count, Duration timeout) throws IOException,
            InterruptedException {
        String host = target.getHostString() + ":" + target.getPort();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < count; i++) {
            while (connections.size() - accepted.get() - failed.get() >= HANDSHAKES_IN_FLIGHT) {
                checkDeadline(deadline, count);
                Thread.sleep(1);
            }
            if (failed.get() > 0) {
                throw new IOException(failed.get() + " of " + count + " WebSockets failed to open, e.g.: "
                        + lastFailure());
            }
            WsClientLoop loop = loops.get(i % loops.size());
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            WsClientConnection c = new WsClientConnection(loop, channel, host, path);
            connections.add(c);
            CountDownLatch registered = new CountDownLatch(1);
            loop.execute(() -> {
                try {
                    boolean connected = channel.connect(target);
                    SelectionKey key = channel.register(loop.selector(),
                            connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, c);
                    c.registered(key);
                    if (connected) {
                        c.connectable();
                    }
                } catch (IOException e) {
                    c.fail(e.toString());
                } finally {
                    registered.countDown();
                }
            });
            registered.await();
        }
        while (accepted.get() + failed.get() < count) {
            checkDeadline(deadline, count);
            Thread.sleep(1);
        }
        if (failed.get() > 0) {
            throw new IOException(failed.get() + " of " + count + " WebSockets failed to open, e.g.: " + lastFailure());
        }
    }

    private void checkDeadline(long deadline, int count) throws IOException {
        if (System.nanoTime() > deadline) {
            throw new IOException("only " + accepted.get() + " of " + count + " WebSockets opened in time ("
                    + failed.get() + " failed" + (failed.get() > 0 ? ", e.g.: " + lastFailure() : "") + "; "
                    + waiting() + ")");
        }
    }

    /** Where the handshakes still under way are stuck: the TCP connect, the 101, or AWX's accept message. */
    private String waiting() {
        int connecting = 0;
        int handshake = 0;
        int noAccept = 0;
        for (WsClientConnection c : connections) {
            switch (c.state) {
                case CONNECTING -> connecting++;
                case HANDSHAKE -> handshake++;
                case OPEN -> noAccept += c.accepted ? 0 : 1;
                default -> { }
            }
        }
        return "still waiting: " + connecting + " for the TCP connection, " + handshake + " for the 101 answer, "
                + noAccept + " for the accept message after the 101";
    }

    /** Sends every socket's subscription; the backend starts streaming on it. */
    public void subscribeAll() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(loops.size());
        for (WsClientLoop loop : loops) {
            loop.execute(() -> {
                for (WsClientConnection c : connections) {
                    if (c.loopIs(loop)) {
                        try {
                            c.subscribe();
                        } catch (IOException e) {
                            c.fail(e.toString());
                        }
                    }
                }
                done.countDown();
            });
        }
        done.await();
    }

    /** Counts events for {@code window} and returns them with their latencies. */
    public WsSample record(Duration window) throws InterruptedException {
        for (WsClientLoop loop : loops) {
            loop.startRecording();
        }
        long start = System.nanoTime();
        Thread.sleep(window.toMillis());
        for (WsClientLoop loop : loops) {
            loop.stopRecording();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(20); // let each loop finish the read it was in
        long events = 0;
        LatencyHistogram all = new LatencyHistogram();
        for (WsClientLoop loop : loops) {
            events += loop.events();
            all.add(loop.histogram());
        }
        return new WsSample(events / seconds, all.percentile(0.50), all.percentile(0.99), all.count(), lostOpen.get());
    }

    public long openSockets() {
        return accepted.get() - lostOpen.get();
    }

    public long lostOpenSockets() {
        return lostOpen.get();
    }

    private String lastFailure() {
        for (WsClientLoop loop : loops) {
            if (loop.lastFailure() != null) {
                return loop.lastFailure();
            }
        }
        return "(no detail)";
    }

    @Override
    public void close() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(loops.size());
        for (WsClientLoop loop : loops) {
            loop.execute(() -> {
                for (WsClientConnection c : connections) {
                    if (c.loopIs(loop)) {
                        c.close();
                    }
                }
                done.countDown();
            });
        }
        done.await();
        for (WsClientLoop loop : loops) {
            loop.stop();
        }
    }
}
