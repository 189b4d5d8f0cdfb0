package io.towerrelay.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
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

    TunnelEnd(Tunnel tunnel, String name, IOSession session, Pipe inbound, Pipe outbound) {
        this.tunnel = tunnel;
        this.name = name;
        this.session = session;
        this.inbound = inbound;
        this.outbound = outbound;
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
        if (!inbound.fill(src)) {
            tunnel.cause(name);
            LOG.debug("tunnel {}: {} sent end of stream", tunnel.info().id(), name);
        }
    }

    @Override
    public void outputReady(IOSession ignored) throws IOException {
        tunnel.touch();
        if (session.hasCommands() && shutdownRequested()) {
            return;
        }
        if (outbound.drain()) {
            // The other side ended and all it sent has been written here: close this side too.
            session.close(CloseMode.GRACEFUL);
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
        session.close(CloseMode.IMMEDIATE);
    }

    @Override
    public void disconnected(IOSession ignored) {
        tunnel.ended(this);
    }
}
