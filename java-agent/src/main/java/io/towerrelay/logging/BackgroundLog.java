package io.towerrelay.logging;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes log lines on one background thread, so that the I/O reactor threads never wait on a stream. slf4j-simple
 * and the access log's {@code PrintStream} write synchronously under a lock: a slow reader of stderr or stdout
 * (journald under load) would stall every connection of the reactor thread that logs, and in the benchmark's
 * profiles the tunnels' open/close lines were 13 % of the reactor threads' monitor waits.
 *
 * <p>The caller formats nothing here: it hands over the call that logs, and the writer thread makes it. Lines are
 * never dropped: when the queue is full the caller writes the line itself (the old behaviour, now the exception).
 * Lines from one thread keep their order.
 */
public final class BackgroundLog {

    private static final int CAPACITY = 16 * 1024;
    private static final BlockingQueue<Runnable> QUEUE = new ArrayBlockingQueue<>(CAPACITY);
    private static final AtomicLong SUBMITTED = new AtomicLong();
    private static final AtomicLong DONE = new AtomicLong();

    static {
        Thread writer = new Thread(BackgroundLog::writeForever, "log-writer");
        writer.setDaemon(true); // never keeps the JVM alive; close paths call flush()
        writer.start();
    }

    private BackgroundLog() {
    }

    /** Runs {@code write} (a logger call or a stream write) on the log thread, or here when the queue is full. */
    public static void submit(Runnable write) {
        SUBMITTED.incrementAndGet();
        if (!QUEUE.offer(write)) {
            runCounted(write);
        }
    }

    /** Waits until everything submitted before this call has been written, at most {@code timeout}. */
    public static void flush(Duration timeout) {
        long target = SUBMITTED.get();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (DONE.get() < target && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void writeForever() {
        for (;;) {
            try {
                runCounted(QUEUE.take());
            } catch (InterruptedException ex) {
                return;
            }
        }
    }

    private static void runCounted(Runnable write) {
        try {
            write.run();
        } catch (RuntimeException ex) {
            // A failing stream must not kill the writer; the line is lost either way.
        } finally {
            DONE.incrementAndGet();
        }
    }
}
