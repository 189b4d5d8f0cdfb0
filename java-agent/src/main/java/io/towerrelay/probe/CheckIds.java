package io.towerrelay.probe;

/** The stable check identifiers of the {@code --json} document (documented in docs/probe.md). */
public final class CheckIds {
    public static final String TLS = "tls";
    public static final String PAGE = "page";
    public static final String HANDSHAKE_PREFIX = "handshake:";
    public static final String SUBSCRIPTION = "subscription";
    public static final String EVENTS = "events";
    public static final String IDLE = "idle";
    public static final String HOST_HEADER = "host-header";
    public static final String CLIENT_ADDRESS = "client-address";

    private CheckIds() {
    }

    public static String handshake(String path) {
        return HANDSHAKE_PREFIX + path;
    }
}
