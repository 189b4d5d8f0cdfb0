package io.towerrelay.reactor;

import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * A connection's addresses and counts as the exchanges on it see them (every exchange's context carries it). One
 * object per connection, kept for its life: the edge finds a connection's state by this object's identity. The
 * counts are kept by the connection's HTTP/1.1 handler, on its I/O thread.
 */
public final class SessionEndpoint extends EndpointDetails {
    private final IOSession session;
    public long requests;
    public long responses;
    public long sent;
    public long received;
    /** A layer above's own state for this connection (the edge's head deadline), found without a map lookup. */
    private Object attachment;

    public SessionEndpoint(IOSession session) {
        super(session.getRemoteAddress(), session.getLocalAddress(), null);
        this.session = session;
    }

    /** The session the connection's HTTP/1.1 handler was made for: on a plain connection, HttpCore5's channel. */
    public IOSession session() {
        return session;
    }

    /** The session's id, as every view of the session gives it. */
    public String sessionId() {
        return session.getId();
    }

    public Object attachment() {
        return attachment;
    }

    public void attach(Object state) {
        this.attachment = state;
    }

    @Override
    public Timeout getSocketTimeout() {
        return session.getSocketTimeout();
    }

    @Override
    public long getRequestCount() {
        return requests;
    }

    @Override
    public long getResponseCount() {
        return responses;
    }

    @Override
    public long getSentBytesCount() {
        return sent;
    }

    @Override
    public long getReceivedBytesCount() {
        return received;
    }
}
