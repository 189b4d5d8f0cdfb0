package io.towerrelay.tunnel;

/**
 * Told about every WebSocket handshake: metrics and the access log hang off it. Called from I/O threads:
 * implementations must be quick and thread-safe.
 */
public interface TunnelListener {

    /** The upstream answered 101: bytes now flow both ways. */
    void opened(TunnelInfo info);

    /** The handshake ended without a tunnel: refused here (403, 502, 504 ...) or upstream's own answer passed back. */
    void refused(TunnelInfo info, int status, String reason);

    /** An opened tunnel has closed on both sides. Called exactly once per {@link #opened}. */
    void closed(TunnelInfo info, TunnelStats stats);

    TunnelListener NONE = new TunnelListener() {
        @Override
        public void opened(TunnelInfo info) {
        }

        @Override
        public void refused(TunnelInfo info, int status, String reason) {
        }

        @Override
        public void closed(TunnelInfo info, TunnelStats stats) {
        }
    };
}
