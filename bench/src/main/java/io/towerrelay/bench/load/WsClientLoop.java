package io.towerrelay.bench.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** One load-generator thread: a selector over its share of the sockets, counting events and latencies. */
final class WsClientLoop implements Runnable {

    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final LatencyHistogram histogram = new LatencyHistogram();
    private final AtomicLong accepted;
    private final AtomicLong failed;
    private final AtomicLong lostOpen;
    private volatile boolean running = true;
    private volatile boolean recording;
    private long events;           // written by this thread only; read after recording stopped
    private String lastFailure;

    WsClientLoop(AtomicLong accepted, AtomicLong failed, AtomicLong lostOpen) throws IOException {
        this.selector = Selector.open();
        this.accepted = accepted;
        this.failed = failed;
        this.lostOpen = lostOpen;
    }

    Selector selector() {
        return selector;
    }

    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    void startRecording() {
        execute(() -> {
            events = 0;
            histogram.clear();
            recording = true;
        });
    }

    void stopRecording() {
        recording = false;
    }

    long events() {
        return events;
    }

    LatencyHistogram histogram() {
        return histogram;
    }

    String lastFailure() {
        return lastFailure;
    }

    void event(long latencyNanos) {
        if (recording) {
            events++;
            histogram.record(latencyNanos / 1000);
        }
    }

    void accepted() {
        accepted.incrementAndGet();
    }

    void failed(WsClientConnection c, boolean wasOpen) {
        lastFailure = c.failure;
        failed.incrementAndGet();
        if (wasOpen) {
            lostOpen.incrementAndGet();
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        while (running) {
            try {
                selector.select();
                for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
                    task.run();
                }
                long now = System.nanoTime();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    WsClientConnection c = (WsClientConnection) key.attachment();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            c.connectable();
                        } else if (key.isReadable()) {
                            c.readable(readBuffer, now);
                        }
                    } catch (IOException | RuntimeException e) {
                        c.fail(e.toString());
                    }
                }
            } catch (IOException e) {
                lastFailure = e.toString();
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // stopping
        }
    }
}
