package io.towerrelay.reactor;

import java.nio.channels.SelectionKey;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;

/**
 * A connection's TLS layer (HttpCore5's {@code SSLIOSession}, with the decorators on it) as its channel sees it:
 * output asked for during an event of the connection's I/O thread is encrypted and sent when that event ends
 * ({@link OutputRounds}), in one write, instead of in a later round of the selector.
 *
 * <p>Why: under TLS a handler's write only encrypts into the TLS layer's buffer, which the layer sends from its own
 * output event, and the selector gives that event in its next round. An HTTP/2 answer went out as three writes in
 * two or three rounds (HEADERS when the upstream's head arrived; DATA, then the end of the stream, once the
 * multiplexer produced them), each a TLS record, a system call and a wake-up of the client; NGINX sends the answer
 * in one. Here the round that asked (the upstream's answer arriving, the client's request read) ends with the TLS
 * layer's output event: the handler produces all it has, and it leaves in one write. The events of the TLS layer
 * are rounds of their own too, so a request read under TLS goes upstream when its event ends
 * ({@link DeferredOutputSession}).
 *
 * <p>The TLS layer still gets the write interest (its handler produces output only while it is set), so what the
 * socket does not take is the selector's to send, as before, and a spurious output event is harmless (HttpCore5's
 * handlers clear the interest when they have nothing left). Off the I/O thread, outside an event, and for output
 * asked for during this session's own round-end output, everything passes through.
 */
final class TlsRoundSession extends ForwardingSession implements RoundOutput {
    /** Output events given in one round at most: 4 records of 16 KiB. */
    private static final int RECORDS_PER_ROUND = 4;
    private final OutputRounds rounds;
    private final Thread owner;
    private final IOEventHandler events;
    private boolean queued;
    /** Output asked for during an event of the thread, not yet given an output event. */
    private boolean wantsOutput;
    /** In this session's round-end output event: what it asks for now is the selector's. */
    private boolean running;

    TlsRoundSession(IOSession tls, OutputRounds rounds) {
        super(tls);
        this.rounds = rounds;
        this.owner = Thread.currentThread();
        this.events = rounds.events(tls.getHandler(), this::afterOutputEvent);
    }

    /**
     * After an output event of the TLS layer (the selector's or this round's): it sent one record; while the
     * handler still wants output, the rest follows when this round ends, not one record per selector round.
     */
    private void afterOutputEvent() {
        if (!running && session.isOpen() && (session.getEventMask() & SelectionKey.OP_WRITE) != 0) {
            wantsOutput = true;
            rounds.dueLast(this);
        }
    }

    /** The TLS layer's own event handler, its events made the thread's rounds. */
    @Override
    public IOEventHandler getHandler() {
        return events;
    }

    @Override
    public void setEvent(int op) {
        if (Thread.currentThread() == owner) {
            if ((op & SelectionKey.OP_WRITE) != 0 && rounds.inEvent() && !running) {
                wantsOutput = true;
                rounds.dueLast(this);
            }
            if ((session.getEventMask() & op) == op) {
                return; // already set: the TLS layer would only recompute its mask and wake the selector
            }
        }
        session.setEvent(op);
    }

    @Override
    public boolean queued() {
        return queued;
    }

    @Override
    public void queued(boolean queued) {
        this.queued = queued;
    }

    @Override
    public void runOutput() {
        if (!wantsOutput) {
            return;
        }
        wantsOutput = false;
        if (!session.isOpen()) {
            return; // closing: the TLS layer's close runs from the selector's events
        }
        running = true;
        try {
            // The TLS layer encrypts one record at a time: the JDK's engine wants a whole record's room in the
            // layer's buffer, which holds one. Each output event writes it out and lets the handler fill the next,
            // so while the handler still wants output (an answer's head, its body, its end) there is another event,
            // a few times, then the selector's.
            for (int i = 0; i < RECORDS_PER_ROUND && session.isOpen(); i++) {
                session.updateWriteTime();
                events.outputReady(this);
                if ((session.getEventMask() & SelectionKey.OP_WRITE) == 0) {
                    break;
                }
            }
        } catch (Exception ex) {
            // As the reactor does when an event handler throws (the socket's failure closed the session already).
            events.exception(this, ex);
            close(CloseMode.GRACEFUL);
        } finally {
            running = false;
        }
    }

    @Override
    public void promote() {
        wantsOutput = false; // the TLS layer has the write interest already
    }
}
