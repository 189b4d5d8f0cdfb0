package io.towerrelay.tunnel;

import io.towerrelay.reactor.ForwardingSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ssl.SSLIOSession;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The I/O event handler of one side of a {@link Tunnel}; every call runs on that session's own I/O thread. */
final class TunnelEnd implements IOEventHandler {

    private static final Logger LOG = LoggerFactory.getLogger(TunnelEnd.class);

    private final Tunnel tunnel;
    private final String name;
    private final IOSession session;
    private final Pipe inbound;
    private final Pipe outbound;
    private boolean settled;
    /** The thread of this end's first output event (its session's own), once it ran. */
    private volatile Thread ownThread;
    /** Under TLS: written only from its own output events (the TLS layer flushes there). */
    private volatile boolean tls;
    /** The other end of the tunnel, where what this end reads is written. */
    private TunnelEnd peer;

    TunnelEnd(Tunnel tunnel, String name, IOSession session, Pipe inbound, Pipe outbound) {
        this.tunnel = tunnel;
        this.name = name;
        this.session = session;
        this.inbound = inbound;
        this.outbound = outbound;
        this.tls = session instanceof SSLIOSession
                || (session instanceof TransportSecurityLayer layer && layer.getTlsDetails() != null);
    }

    void peer(TunnelEnd other) {
        this.peer = other;
    }

    /** The connection under this end is TLS (its session may be one the TLS layer wraps). */
    void underTls() {
        this.tls = true;
    }

    String name() {
        return name;
    }

    IOSession session() {
        return session;
    }

    Pipe inbound() {
        return inbound;
    }

    Pipe outbound() {
        return outbound;
    }

    @Override
    public void connected(IOSession ignored) {
        // A tunnel end is installed on a session that is already connected.
    }

    @Override
    public void inputReady(IOSession ignored, ByteBuffer src) throws IOException {
        tunnel.touch();
        TunnelEnd sink = peer;
        // Relaying in place: the other end's session lives on this thread, so what was read is written to it now,
        // without arming its write interest (a selector wake-up and an epoll_ctl each way, per chunk and
        // direction). Only once that end's own first output event has run (it settles its read interest
        // there), and only between plain sessions: a TLS layer flushes from its own output events.
        boolean inPlace = sink != null && sink.ownThread == Thread.currentThread() && !sink.tls && !tls;
        if (!inbound.fill(src, inPlace)) {
            tunnel.cause(name);
            LOG.debug("tunnel {}: {} sent end of stream", tunnel.info().id(), name);
        }
        if (inPlace) {
            sink.writeInPlace();
        }
    }

    /** Writes what waits for this end's session, on its own thread, outside its output event. */
    private void writeInPlace() {
        try {
            if (session.hasCommands() && shutdownRequested()) {
                return;
            }
            if (outbound.drain(true)) {
                shutdownOutput();
                tunnel.delivered();
            }
        } catch (IOException | RuntimeException e) {
            exception(session, e instanceof IOException io ? io : new IOException(e.toString(), e));
        }
    }

    @Override
    public void outputReady(IOSession ignored) throws IOException {
        tunnel.touch();
        if (!settled) {
            // First event on this session's own thread. The client session was switched from the upstream's
            // thread while HttpCore5's HTTP handler might still have been finishing an event here (and turning
            // read interest off): set it again now that nothing else can touch it.
            settled = true;
            ownThread = Thread.currentThread();
            inbound.settleReadInterest();
            if (this == tunnel.clientEnd()) {
                tunnel.releaseExchange();
            }
        }
        if (session.hasCommands() && shutdownRequested()) {
            return;
        }
        if (outbound.drain()) {
            // The other side ended and all it sent has been written here: pass the end on (half-close).
            shutdownOutput();
            tunnel.delivered();
        }
    }

    /**
     * Half-close: the peer reads end of stream but may still send (a WebSocket peer that shut its output after its
     * Close frame still expects the other side's Close frame back). Under TLS that is close_notify, which
     * HttpCore5's TLS layer sends on a graceful close while it goes on reading until the peer closes too.
     */
    private void shutdownOutput() {
        if (tls) {
            // Never a FIN on the socket under a TLS layer: it would cut off what the layer still has to encrypt.
            session.close(CloseMode.GRACEFUL);
            return;
        }
        // The session's own channel may be a decorator (reactor.ReadInterestGate): the socket is under it. Closing
        // instead would take the other direction away too: a Close frame the peer sends back would be reset.
        SocketChannel socket = ForwardingSession.socketOf(session);
        if (socket == null) {
            session.close(CloseMode.GRACEFUL);
            return;
        }
        try {
            socket.shutdownOutput();
        } catch (IOException ex) {
            session.close(CloseMode.IMMEDIATE);
        }
    }

    /**
     * Once a tunnel owns the session, HttpCore5's duplexer no longer sees the commands the reactor sends on
     * graceful shutdown; they are handled here.
     */
    private boolean shutdownRequested() {
        boolean shutdown = false;
        for (Command command = session.poll(); command != null; command = session.poll()) {
            if (command instanceof ShutdownCommand) {
                shutdown = true;
            } else {
                command.cancel();
            }
        }
        if (shutdown) {
            tunnel.cause("shutdown");
            session.close(CloseMode.GRACEFUL);
        }
        return shutdown;
    }

    @Override
    public void timeout(IOSession ignored, Timeout timeout) {
        if (session.getStatus() != IOSession.Status.ACTIVE) {
            // Output already shut and the peer never finished closing: no more waiting.
            session.close(CloseMode.IMMEDIATE);
            return;
        }
        if (!tunnel.idleExpired()) {
            session.updateReadTime(); // restarts the session's timeout clock
            return;
        }
        tunnel.cause("idle-timeout");
        LOG.debug("tunnel {}: {} idle for {}", tunnel.info().id(), name, timeout);
        session.close(CloseMode.GRACEFUL);
    }

    @Override
    public void exception(IOSession ignored, Exception cause) {
        LOG.debug("tunnel {}: {} failed: {}", tunnel.info().id(), name, cause.toString());
        // The side whose connection failed (a reset) ended the tunnel, whichever session's disconnect is seen first.
        tunnel.cause(name);
        session.close(CloseMode.IMMEDIATE);
    }

    @Override
    public void disconnected(IOSession ignored) {
        tunnel.ended(this);
    }
}
