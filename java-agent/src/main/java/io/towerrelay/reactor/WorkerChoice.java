package io.towerrelay.reactor;

import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;
import org.apache.hc.core5.reactor.IOWorkerSelector;
import org.apache.hc.core5.reactor.IOWorkerStats;

/**
 * Which I/O thread takes an accepted connection: the first, in worker order, that has time to spare and holds at most
 * {@link #SPREAD} sessions more than the worker with the fewest; when none has, the least busy one.
 *
 * <p>Why not simply the worker with the fewest sessions: connections spread evenly over threads that are each mostly
 * idle cost every one of them a sleep and a wake-up per exchange, and where the relay shares its cores (with Tower, a
 * database, a load generator) those were most of its CPU per request: small keep-alive answers through one thread
 * cost about a quarter less CPU than through two, at NGINX's requests/s (docs/benchmarks.md). NGINX gets the same
 * effect from the kernel, which wakes one busy worker for new connections rather than all of them in turn. A thread
 * busier than {@link #BUSY} of its time (its CPU time over the last {@link #INTERVAL_NANOS}) takes no new connection
 * while another is not; {@link #SPREAD} keeps a large fleet of long-lived connections (WebSocket tunnels, each one a
 * client and an upstream session) within a few hundred sessions of even, so that no one thread holds them all.
 */
final class WorkerChoice implements IOWorkerSelector {
    /** Share of its time a worker may be busy and still take new connections first. */
    static final double BUSY = 0.5;
    /** How many sessions more than the least loaded worker a worker may hold and still be chosen first. */
    static final int SPREAD = 256;
    /** How often the workers' CPU time is read again (each read is a system call per worker). */
    static final long INTERVAL_NANOS = 10_000_000L;

    /** Each worker's CPU time in nanoseconds, by worker index; negative when it cannot be read. */
    private final LongUnaryOperator cpuTime;
    private final LongSupplier clock;
    private long[] lastCpu = new long[0];
    private double[] busy = new double[0];
    private int[] sessions = new int[0];
    private long lastRead;

    /**
     * @param cpuTime a worker's CPU time in nanoseconds by its index (negative if unknown: that worker counts as busy
     *                only by its sessions)
     * @param clock   monotonic time in nanoseconds
     */
    WorkerChoice(LongUnaryOperator cpuTime, LongSupplier clock) {
        this.cpuTime = cpuTime;
        this.clock = clock;
    }

    @Override
    public synchronized int select(IOWorkerStats[] workers) {
        measure(workers.length);
        int fewest = Integer.MAX_VALUE;
        for (int i = 0; i < workers.length; i++) {
            // Counted once per choice: the pending count walks a queue.
            sessions[i] = workers[i].totalChannelCount() + workers[i].pendingChannelCount();
            fewest = Math.min(fewest, sessions[i]);
        }
        int leastBusy = 0;
        for (int i = 0; i < workers.length; i++) {
            if (busy[i] < BUSY && sessions[i] <= fewest + SPREAD) {
                return i;
            }
            if (busy[i] < busy[leastBusy] || busy[i] == busy[leastBusy] && sessions[i] < sessions[leastBusy]) {
                leastBusy = i;
            }
        }
        return leastBusy;
    }

    /** Each worker's share of busy time since the last reading, read again once {@link #INTERVAL_NANOS} have passed. */
    private void measure(int count) {
        long now = clock.getAsLong();
        if (lastCpu.length != count) {
            lastCpu = new long[count];
            busy = new double[count];
            sessions = new int[count];
            for (int i = 0; i < count; i++) {
                lastCpu[i] = cpuTime.applyAsLong(i);
            }
            lastRead = now;
            return;
        }
        long elapsed = now - lastRead;
        if (elapsed < INTERVAL_NANOS) {
            return;
        }
        for (int i = 0; i < count; i++) {
            long cpu = cpuTime.applyAsLong(i);
            busy[i] = cpu < 0 || lastCpu[i] < 0 ? 0 : (double) (cpu - lastCpu[i]) / elapsed;
            lastCpu[i] = cpu;
        }
        lastRead = now;
    }
}
