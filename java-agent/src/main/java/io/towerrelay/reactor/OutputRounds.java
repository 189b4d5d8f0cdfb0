package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * The output of one I/O thread's sessions that was asked for during an event of that thread (plain HTTP/1.1:
 * {@link DeferredOutputSession}; under TLS: {@link TlsRoundSession}): written when the outermost event handler
 * returns, before the thread goes back to its selector. Output asked for while this runs (the upstream's answer, written to its client) joins the same
 * round. One per worker thread; used by that thread only.
 */
final class OutputRounds {
    /**
     * Reads after the first in one input event while each fills the handler's buffer (HttpCore5's duplexer reads once
     * per event): a 64 KiB answer read in one event leaves in one write at the round's end, not one per 32 KiB read
     * and selector round. Bounded so that one busy connection cannot hold its thread from the others.
     */
    private static final int MORE_READS = 3;
    /** More sessions than this in one round (never seen: one exchange makes two) fall back to write interest. */
    private static final int MAX_PER_ROUND = 4096;
    private final ArrayDeque<RoundOutput> due = new ArrayDeque<>();
    /**
     * Sessions under TLS with output due: sent last, once nothing else in the round asks for output, because each
     * of their output events is a system call (the TLS layer sends all it encrypted), and an answer's parts (head,
     * body, end) are often asked for by different steps of one round.
     */
    private final ArrayDeque<RoundOutput> dueLast = new ArrayDeque<>();
    private final ArrayDeque<Runnable> afterEvent = new ArrayDeque<>();
    private int depth;
    /** Writing a round's output: small writes may be held ({@link GatheredWrites}). */
    private boolean holding;
    /** The session whose write is held in {@link #held}, or null. */
    private GatheredWrites holder;
    private final ByteBuffer held = ByteBuffer.allocateDirect(GatheredWrites.HOLD);

    boolean inEvent() {
        return depth > 0;
    }

    void due(RoundOutput session) {
        if (!session.queued()) {
            session.queued(true);
            due.add(session);
        }
    }

    /** Like {@link #due}, for a session whose output is best sent once after all other output of the round. */
    void dueLast(RoundOutput session) {
        if (!session.queued()) {
            session.queued(true);
            dueLast.add(session);
        }
    }

    /** Runs {@code task} when the current event ends, before its output is written; now if not in an event. */
    void afterEvent(Runnable task) {
        if (depth > 0) {
            afterEvent.add(task);
        } else {
            task.run();
        }
    }

    void enter() {
        depth++;
    }

    void exit() {
        if (depth > 1 || (due.isEmpty() && afterEvent.isEmpty() && dueLast.isEmpty())) {
            depth--;
            return;
        }
        // Still "in an event" while writing, so that output asked for now is deferred and taken by this loop.
        // Each step's small writes may wait for the step's next write to leave with it (GatheredWrites); what is
        // still held goes at the end of the step.
        holding = true;
        try {
            int n = 0;
            while (!afterEvent.isEmpty() || !due.isEmpty() || !dueLast.isEmpty()) {
                for (Runnable task = afterEvent.poll(); task != null; task = afterEvent.poll()) {
                    try {
                        task.run();
                    } finally {
                        sendHeld();
                    }
                }
                n = run(due, n);
                if (afterEvent.isEmpty() && due.isEmpty()) {
                    n = run(dueLast, n);
                }
            }
        } finally {
            holding = false;
            sendHeld();
            depth--;
        }
    }

    /** Gives the sessions queued in {@code queue} their output; returns the round's count of them so far. */
    private int run(ArrayDeque<RoundOutput> queue, int n) {
        for (RoundOutput s = queue.poll(); s != null; s = queue.poll()) {
            s.queued(false);
            try {
                if (++n > MAX_PER_ROUND) {
                    s.promote();
                } else {
                    s.runOutput();
                }
            } finally {
                sendHeld();
            }
        }
        return n;
    }

    /** May {@code writes} hold a write in the thread's buffer now? Sends another session's held write first. */
    boolean mayHold(GatheredWrites writes) {
        if (!holding) {
            return false;
        }
        if (holder != null && holder != writes) {
            sendHeld();
        }
        holder = writes;
        return true;
    }

    ByteBuffer heldBuffer() {
        return held;
    }

    /** {@code writes} sent what it held. */
    void released(GatheredWrites writes) {
        if (holder == writes) {
            holder = null;
        }
    }

    /** Sends the held write if it is {@code writes}'s; false if the socket did not take all of it. */
    boolean sendHeldOf(GatheredWrites writes) {
        return holder != writes || sendHeld();
    }

    /** Sends the held write, if any; false if the socket did not take all of it. */
    boolean sendHeld() {
        GatheredWrites h = holder;
        holder = null;
        return h == null || h.sendHeld();
    }

    static IOEventHandler unwrap(IOEventHandler handler) {
        return handler instanceof Events events ? events.handler : handler;
    }

    /** An event handler whose events are the thread's rounds, for the handler of {@code session}. */
    IOEventHandler wrap(IOEventHandler handler, DeferredOutputSession session) {
        return new Round(handler, session);
    }

    /**
     * {@code handler}'s events as the thread's rounds: output asked for during one is written when it ends;
     * {@code afterOutput} runs after each output event, still in the round.
     */
    IOEventHandler events(IOEventHandler handler, Runnable afterOutput) {
        return new Events(handler, afterOutput);
    }

    private class Events implements IOEventHandler {
        final IOEventHandler handler;
        private final Runnable afterOutput;

        Events(IOEventHandler handler, Runnable afterOutput) {
            this.handler = handler;
            this.afterOutput = afterOutput;
        }

        @Override
        public void connected(IOSession session) throws IOException {
            enter();
            try {
                handler.connected(session);
            } finally {
                exit();
            }
        }

        @Override
        public void inputReady(IOSession session, ByteBuffer src) throws IOException {
            enter();
            try {
                input(session, src);
            } finally {
                exit();
            }
        }

        @Override
        public void outputReady(IOSession session) throws IOException {
            enter();
            try {
                output(session);
            } finally {
                exit();
            }
        }

        /** The input event, inside the round. */
        void input(IOSession session, ByteBuffer src) throws IOException {
            handler.inputReady(session, src);
        }

        /** The output event, inside the round. */
        void output(IOSession session) throws IOException {
            handler.outputReady(session);
            if (afterOutput != null) {
                afterOutput.run();
            }
        }

        @Override
        public void timeout(IOSession session, Timeout timeout) throws IOException {
            enter();
            try {
                handler.timeout(session, timeout);
            } finally {
                exit();
            }
        }

        @Override
        public void exception(IOSession session, Exception cause) {
            enter();
            try {
                handler.exception(session, cause);
            } finally {
                exit();
            }
        }

        @Override
        public void disconnected(IOSession session) {
            enter();
            try {
                handler.disconnected(session);
            } finally {
                exit();
            }
        }
    }

    /** The events of a plain HTTP/1.1 session: reads more while they fill, writes only what the socket took. */
    private final class Round extends Events {
        private final DeferredOutputSession deferred;

        Round(IOEventHandler handler, DeferredOutputSession deferred) {
            super(handler, null);
            this.deferred = deferred;
        }

        @Override
        void input(IOSession session, ByteBuffer src) throws IOException {
            deferred.readMore(); // forget a filled read of an earlier event
            handler.inputReady(session, src);
            for (int i = 0; i < MORE_READS && deferred.readMore(); i++) {
                handler.inputReady(session, null);
            }
        }

        @Override
        void output(IOSession session) throws IOException {
            if (deferred.flushWritten()) { // else bytes an earlier round wrote still wait for the socket
                handler.outputReady(session);
            }
        }
    }
}
